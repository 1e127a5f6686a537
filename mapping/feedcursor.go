package mapping

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// A feed cursor is opaque to clients: base64url (no padding) of
//
//	f1.<unix second>.<a|r>.<account id>.<filter>.<check>
//
// where filter is empty or the first 8 bytes of SHA-256 of the sanitized
// acc_number the feed was filtered by (so a cursor cannot silently continue
// another feed: the unfiltered feed from a filtered cursor would skip every
// other account's earlier changes), and check the first 6 bytes of SHA-256
// of the rest. Parsing is strict and canonical: a cursor that was altered,
// truncated, re-encoded or made by hand is refused.
//
// The check catches accidents, not forgers: it is not keyed. A cursor is
// no secret and grants nothing: it names a position in a feed that the
// client's scope lets it read from any position anyway (updated_since).
// A keyed MAC would add a key to distribute to every replica and to rotate,
// each rotation breaking every client's saved cursor, for no protection.
const cursorVersion = "f1"

// maxCursorSecond is 9999-12-31T23:59:59Z, the last second Odoo can store.
const maxCursorSecond = 253402300799

var cursorKinds = map[feedKind]string{accountChanged: "a", registrantChanged: "r"}

// cursorFilter fingerprints the acc_number filter of a feed ("" for none).
func cursorFilter(number AccountNumber) string {
	s := number.Sanitized()
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func cursorCheck(payload string) string {
	sum := sha256.Sum256([]byte("g2p-bank-proxy feed cursor\n" + payload))
	return hex.EncodeToString(sum[:6])
}

func encodeCursor(p feedPosition, filter string) string {
	payload := strings.Join([]string{cursorVersion, strconv.FormatInt(p.sec.Unix(), 10), cursorKinds[p.kind],
		strconv.FormatInt(p.id, 10), filter}, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(payload + "." + cursorCheck(payload)))
}

// parseCursor returns the position a cursor of encodeCursor names and the
// filter it was issued for; ok is false for anything encodeCursor cannot
// have produced.
func parseCursor(s string) (pos feedPosition, filter string, ok bool) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != s {
		return feedPosition{}, "", false
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 6 || parts[0] != cursorVersion {
		return feedPosition{}, "", false
	}
	payload := strings.Join(parts[:5], ".")
	if parts[5] != cursorCheck(payload) {
		return feedPosition{}, "", false
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || sec < 0 || sec > maxCursorSecond {
		return feedPosition{}, "", false
	}
	pos.sec = time.Unix(sec, 0).UTC()
	known := false
	for k, name := range cursorKinds {
		if parts[2] == name {
			pos.kind, known = k, true
		}
	}
	id, idOK := ParseRecordID(parts[3])
	pos.id = id
	filter = parts[4]
	if _, err := hex.DecodeString(filter); !known || !idOK || err != nil || (filter != "" && len(filter) != 16) {
		return feedPosition{}, "", false
	}
	if encodeCursor(pos, filter) != s {
		return feedPosition{}, "", false // not canonical (e.g. "+5" or "007")
	}
	return pos, filter, true
}
