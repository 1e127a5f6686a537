// Package audit keeps the audit trail of g2p-bank-proxy: one record per
// write (and per read of full account numbers), appended to a hash-chained
// JSON-lines file and, when enabled, posted as a note in the registrant's
// chatter in Odoo. Records hold masked account numbers only.
package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Outcome says what became of the audited request.
type Outcome string

const (
	// OutcomeSuccess: the request was applied (2xx).
	OutcomeSuccess Outcome = "success"
	// OutcomeRefused: the request was refused (4xx); nothing was written,
	// except the applied items a partial batch names in Detail.
	OutcomeRefused Outcome = "refused"
	// OutcomeError: the request failed (5xx); whether Odoo applied it is
	// unknown (e.g. a timeout after Odoo received the call).
	OutcomeError Outcome = "error"
)

// Record is one audit entry. The proxy fills the descriptive fields;
// Append fills Seq, Prev and Hash (and Time when empty).
type Record struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"` // RFC 3339, UTC
	RequestID string `json:"request_id"`
	ClientID  string `json:"client_id"`
	// Action names what was done: "POST /individual",
	// "PATCH /registrants/:id/bank-accounts/:account_id", or
	// "read_full GET /bank-accounts" for a read of full numbers.
	Action        string   `json:"action"`
	RegistrantIDs []int64  `json:"registrant_ids"`
	AccountIDs    []int64  `json:"account_ids"`
	MaskedNumbers []string `json:"masked_numbers"`
	Outcome       Outcome  `json:"outcome"`
	Status        int      `json:"status"`
	// Code is the problem code of a refused or failed request.
	Code string `json:"code,omitempty"`
	// Detail is the problem detail of a refused or failed request (it
	// never holds a full account number).
	Detail string `json:"detail,omitempty"`
	// MAC is "hmac-sha256" when Hash is keyed (audit.hmac_key_file), so
	// that only the key's holder can recompute the chain; empty for a
	// plain SHA-256.
	MAC  string `json:"mac,omitempty"`
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

// macHMAC is the MAC of a keyed record.
const macHMAC = "hmac-sha256"

// errUnkeyed reports a plain record read with a key.
var errUnkeyed = errors.New("the record has no key (hmac) although the file is checked with one: it was written without the key")

// ErrKeyNeeded reports a keyed record read without the key.
var ErrKeyNeeded = errors.New("the record is keyed (hmac-sha256): the key is needed to check it")

// genesis is the Prev of the first record of a file.
var genesis = strings.Repeat("0", 64)

// canonical is the encoding the hash covers: the record's JSON without
// the hash member, with fields in declaration order and nil lists as [].
func (r Record) canonical() []byte {
	r.Hash = ""
	if r.RegistrantIDs == nil {
		r.RegistrantIDs = []int64{}
	}
	if r.AccountIDs == nil {
		r.AccountIDs = []int64{}
	}
	if r.MaskedNumbers == nil {
		r.MaskedNumbers = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r) // strings, ints and lists of them: cannot fail
	// Drop `,"hash":""}` + newline: the hash is appended after.
	return bytes.TrimSuffix(b.Bytes(), []byte(`,"hash":""}`+"\n"))
}

// seal sets Hash to the SHA-256 of the canonical encoding, or with a key
// to its HMAC-SHA256 (and MAC to say so), and returns the line to store
// (with its newline).
func (r *Record) seal(key []byte) []byte {
	r.MAC = ""
	if key != nil {
		r.MAC = macHMAC
	}
	c := r.canonical()
	if key != nil {
		m := hmac.New(sha256.New, key)
		m.Write(c)
		r.Hash = hex.EncodeToString(m.Sum(nil))
	} else {
		sum := sha256.Sum256(c)
		r.Hash = hex.EncodeToString(sum[:])
	}
	return fmt.Appendf(c, `,"hash":"%s"}`+"\n", r.Hash)
}

// parseLine decodes one stored line (without its newline) and checks that
// it is exactly what seal produces for its content: an edited value, an
// added member, reformatting or a wrong hash all fail. A keyed record
// needs the key (ErrKeyNeeded); with a key, a plain record fails too: it
// is what someone without the key would write.
func parseLine(line []byte, key []byte) (Record, error) {
	var r Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, fmt.Errorf("not a complete audit record")
	}
	switch {
	case r.MAC != "" && r.MAC != macHMAC:
		return Record{}, fmt.Errorf("unknown mac %q", r.MAC)
	case r.MAC != "" && key == nil:
		return Record{}, ErrKeyNeeded
	case r.MAC == "" && key != nil:
		return Record{}, errUnkeyed
	}
	stored := r.Hash
	want := r
	if again := want.seal(key); !bytes.Equal(again[:len(again)-1], line) || want.Hash != stored {
		if key != nil {
			return Record{}, fmt.Errorf("content does not match its hash (the line was modified, or sealed with another key)")
		}
		return Record{}, fmt.Errorf("content does not match its hash (the line was modified)")
	}
	return r, nil
}
