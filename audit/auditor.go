package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// NoteSink posts a note on a registrant's record in the registry (Odoo
// chatter). *OdooNotes is one.
type NoteSink interface {
	PostNote(ctx context.Context, registrantID int64, body string) error
}

// Options configure an Auditor.
type Options struct {
	// File receives every record; nil disables the file (not for
	// production: the proxy warns at start).
	File *FileLog
	// Notes, when set, receives a note per registrant of each successful
	// write, posted in the background.
	Notes NoteSink
	// NoteQueue bounds the notes waiting to be posted (default 1000).
	NoteQueue int
	// NoteTimeout bounds one post (default 10s).
	NoteTimeout time.Duration
}

// Auditor records audited requests. It is safe for concurrent use.
//
// Failure policy (the write has already happened in Odoo when its record
// is appended, so the record must not be lost silently):
//   - before a write, the proxy calls Ready, which fails while the file
//     cannot be written (see FileLog: records of earlier failures wait in
//     memory until they are appended); the write is then refused with 503
//     before anything reaches Odoo (fail closed), and readiness fails;
//   - when the append after a write fails, the client still gets the
//     write's result (the data is in Odoo; an error would invite a
//     duplicate retry), the whole record is logged at ERROR level (a copy
//     off the machine while it waits), Failures counts it, and the file
//     log keeps it for a later append, so Ready keeps failing until the
//     file has every record;
//   - a note that cannot be posted in Odoo is logged and counted in
//     NoteFailures; the file stays the authoritative trail.
type Auditor struct {
	file        *FileLog
	notes       NoteSink
	noteTimeout time.Duration
	log         *zap.Logger

	queue        chan note
	wg           sync.WaitGroup
	closeOnce    sync.Once
	failures     atomic.Int64
	noteFailures atomic.Int64
}

type note struct {
	registrant int64
	body       string
}

// New returns an Auditor; with Notes it starts the background poster
// (stop it with Close).
func New(o Options, log *zap.Logger) *Auditor {
	if log == nil {
		log = zap.NewNop()
	}
	a := &Auditor{file: o.File, notes: o.Notes, noteTimeout: o.NoteTimeout, log: log}
	if a.noteTimeout <= 0 {
		a.noteTimeout = 10 * time.Second
	}
	if o.Notes != nil {
		n := o.NoteQueue
		if n <= 0 {
			n = 1000
		}
		a.queue = make(chan note, n)
		a.wg.Add(1)
		go a.postNotes()
	}
	return a
}

// ErrUnavailable wraps the reason the audit trail cannot take records.
var ErrUnavailable = errors.New("the audit trail cannot be written")

// Ready reports whether a write may proceed: nil when the audit file
// takes records (or there is none).
func (a *Auditor) Ready() error {
	if a == nil || a.file == nil {
		return nil
	}
	if err := a.file.Probe(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// Record appends r to the file and queues its notes. It returns the
// append's error after logging it with the record (see the failure policy
// on Auditor); the caller does not change its answer because of it.
func (a *Auditor) Record(ctx context.Context, r Record) error {
	if a == nil {
		return nil
	}
	stamp(&r, time.Now)
	var err error
	if a.file != nil {
		var sealed Record
		if sealed, err = a.file.Append(r); err == nil {
			r = sealed
		}
	}
	fields := []zap.Field{
		zap.String("record_time", r.Time), zap.String("request_id", r.RequestID), zap.String("client", r.ClientID),
		zap.String("action", r.Action), zap.Int64s("registrant_ids", r.RegistrantIDs), zap.Int64s("account_ids", r.AccountIDs),
		zap.Strings("masked_numbers", r.MaskedNumbers), zap.String("outcome", string(r.Outcome)), zap.Int("status", r.Status),
		zap.String("code", r.Code), zap.String("detail", r.Detail),
	}
	switch {
	case err == nil:
		a.log.Info("audit", append(fields, zap.Int64("seq", r.Seq), zap.String("record_hash", r.Hash))...)
	case errors.Is(err, ErrRecordKept):
		a.failures.Add(1)
		a.log.Error("audit record NOT written to the audit file yet: kept in memory until the file takes writes again "+
			"(writes are refused meanwhile)", append(fields, zap.Error(err))...)
	default:
		a.failures.Add(1)
		a.log.Error("audit record NOT written to the audit file and not kept: this log line is its only copy",
			append(fields, zap.Error(err))...)
	}
	if r.Outcome == OutcomeSuccess && !strings.HasPrefix(r.Action, ActionReadFullPrefix) {
		a.queueNotes(r)
	}
	return err
}

// ActionReadFullPrefix starts the action of a read of full numbers; such
// reads are recorded in the file but not posted to the registrant.
const ActionReadFullPrefix = "read_full "

func (a *Auditor) queueNotes(r Record) {
	if a.queue == nil {
		return
	}
	body := NoteBody(r)
	for _, id := range r.RegistrantIDs {
		select {
		case a.queue <- note{registrant: id, body: body}:
		default:
			a.noteFailures.Add(1)
			a.log.Error("audit note dropped: the queue is full", zap.String("request_id", r.RequestID), zap.Int64("registrant_id", id))
		}
	}
}

func (a *Auditor) postNotes() {
	defer a.wg.Done()
	for n := range a.queue {
		ctx, cancel := context.WithTimeout(context.Background(), a.noteTimeout)
		if err := a.notes.PostNote(ctx, n.registrant, n.body); err != nil {
			a.noteFailures.Add(1)
			a.log.Warn("audit note not posted in Odoo", zap.Int64("registrant_id", n.registrant), zap.Error(err))
		}
		cancel()
	}
}

// NoteBody is the chatter text of a record: who did what, with masked
// numbers only. Odoo escapes a plain-text body, so nothing in it is
// rendered as HTML.
func NoteBody(r Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "g2p-bank-proxy: client %q: %s (request %s)", r.ClientID, r.Action, r.RequestID)
	if len(r.AccountIDs) > 0 {
		ids := make([]string, len(r.AccountIDs))
		for i, id := range r.AccountIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		fmt.Fprintf(&b, "; bank accounts %s", strings.Join(ids, ", "))
	}
	if len(r.MaskedNumbers) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(r.MaskedNumbers, ", "))
	}
	if r.Seq > 0 {
		fmt.Fprintf(&b, "; audit record %d", r.Seq)
	}
	return b.String()
}

// Failures counts records that could not be appended to the file when
// they were made (each was logged at ERROR).
func (a *Auditor) Failures() int64 { return a.failures.Load() }

// Pending returns how many records wait in memory for the file.
func (a *Auditor) Pending() int {
	if a.file == nil {
		return 0
	}
	return a.file.Pending()
}

// Lost counts records that never reached the file (their ERROR log line
// is their only copy).
func (a *Auditor) Lost() int64 {
	if a.file == nil {
		return 0
	}
	return a.file.Lost()
}

// NoteFailures counts notes that could not be posted or queued.
func (a *Auditor) NoteFailures() int64 { return a.noteFailures.Load() }

// Close posts the queued notes (waiting at most until ctx ends) and closes
// the file.
func (a *Auditor) Close(ctx context.Context) error {
	if a == nil {
		return nil
	}
	var err error
	a.closeOnce.Do(func() {
		if a.queue != nil {
			close(a.queue)
			done := make(chan struct{})
			go func() { a.wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				err = fmt.Errorf("audit: notes still queued: %w", ctx.Err())
			}
		}
		if a.file != nil {
			err = errors.Join(err, a.file.Close())
		}
	})
	return err
}
