package audit

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

type recordedNote struct {
	registrant int64
	body       string
}

type fakeNotes struct {
	mu    sync.Mutex
	notes []recordedNote
	fail  bool
}

func (f *fakeNotes) PostNote(_ context.Context, id int64, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("odoo says no")
	}
	f.notes = append(f.notes, recordedNote{id, body})
	return nil
}

func TestAuditorPostsNotesForSuccessfulWritesOnly(t *testing.T) {
	file, err := OpenFile(filepath.Join(t.TempDir(), "a.jsonl"), FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	notes := &fakeNotes{}
	a := New(Options{File: file, Notes: notes}, nil)
	ctx := context.Background()
	ok := sampleRecord(0)
	ok.RegistrantIDs = []int64{7, 8}
	refused := sampleRecord(1)
	refused.Outcome, refused.Status = OutcomeRefused, 422
	fullRead := sampleRecord(2)
	fullRead.Action = ActionReadFullPrefix + "GET /bank-accounts"
	for _, r := range []Record{ok, refused, fullRead} {
		if err := a.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(notes.notes) != 2 || notes.notes[0].registrant != 7 || notes.notes[1].registrant != 8 {
		t.Fatalf("notes = %+v, want one per registrant of the successful write", notes.notes)
	}
	body := notes.notes[0].body
	for _, want := range []string{`"enrolment-app"`, "POST /registrants/:id/bank-accounts", "req-a", "bank accounts 100", "****4242", "audit record 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("note %q lacks %q", body, want)
		}
	}
}

// The file cannot take the record of a write already done in Odoo: the
// whole record is logged at ERROR and kept, and the auditor is unready
// (writes refused) until the kept record is in the file.
func TestAuditorLogsARecordItCannotWriteAndTurnsUnready(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	file, err := OpenFile(path, FileOptions{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	disk := &fullDisk{}
	disk.install(file)
	core, logs := observer.New(zapcore.InfoLevel)
	notes := &fakeNotes{fail: true}
	a := New(Options{File: file, Notes: notes}, zap.New(core))
	defer a.Close(context.Background())
	if err := a.Ready(); err != nil {
		t.Fatalf("Ready before any failure: %v", err)
	}
	disk.on = true
	rec := sampleRecord(0)
	rec.Code, rec.Detail = "conflict", "the account ****4242 is already registered"
	if err := a.Record(context.Background(), rec); err == nil {
		t.Fatal("Record succeeded on a full disk")
	}
	if a.Failures() != 1 || a.Pending() != 1 || a.Lost() != 0 {
		t.Errorf("Failures %d, Pending %d, Lost %d; want 1, 1, 0", a.Failures(), a.Pending(), a.Lost())
	}
	lost := logs.FilterMessageSnippet("NOT written").All()
	if len(lost) != 1 || lost[0].Level != zapcore.ErrorLevel || !strings.Contains(lost[0].Message, "kept in memory") {
		t.Fatalf("error log = %+v, want one ERROR line saying the record is kept", lost)
	}
	got := lost[0].ContextMap()
	for k, want := range map[string]any{"request_id": "req-a", "client": "enrolment-app", "action": rec.Action,
		"outcome": "success", "status": int64(201), "code": "conflict", "detail": rec.Detail} {
		if got[k] != want {
			t.Errorf("logged %s = %v, want %v", k, got[k], want)
		}
	}
	if got["record_time"] == "" || got["masked_numbers"] == nil {
		t.Errorf("logged record lacks its time or numbers: %v", got)
	}
	// However often it is asked, the auditor stays unready while the disk
	// is full (reopening the file is no proof that it takes writes).
	for range 3 {
		if err := a.Ready(); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Ready on a full disk = %v, want ErrUnavailable", err)
		}
	}
	disk.on = false
	if err := a.Ready(); err != nil {
		t.Fatalf("Ready once the disk has room: %v", err)
	}
	if recs := readRecords(t, path); len(recs) != 1 || recs[0].RequestID != "req-a" || recs[0].Time != got["record_time"] {
		t.Errorf("file after recovery: %+v; want the kept record with the time it was logged with", recs)
	}
}

func TestAuditorSaysWhenTheLogLineIsTheOnlyCopy(t *testing.T) {
	file, err := OpenFile(filepath.Join(t.TempDir(), "a.jsonl"), FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	a := New(Options{File: file}, zap.New(core))
	file.Close()
	if err := a.Record(context.Background(), sampleRecord(0)); err == nil {
		t.Fatal("Record succeeded on a closed file")
	}
	lost := logs.FilterMessageSnippet("its only copy").All()
	if len(lost) != 1 || lost[0].Level != zapcore.ErrorLevel || a.Lost() != 1 || a.Failures() != 1 {
		t.Errorf("logs %+v, Lost %d, Failures %d", logs.All(), a.Lost(), a.Failures())
	}
}

func TestOdooNotesCallsMessagePost(t *testing.T) {
	var got struct {
		model, method string
		args          []any
		kwargs        map[string]any
	}
	exec := executorFunc(func(_ context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
		got.model, got.method, got.args, got.kwargs = model, method, args, kwargs
		return int64(99), nil
	})
	if err := (OdooNotes{Odoo: exec}).PostNote(context.Background(), 42, "hello"); err != nil {
		t.Fatal(err)
	}
	if got.model != "res.partner" || got.method != "message_post" || got.args[0].([]any)[0] != int64(42) ||
		got.kwargs["body"] != "hello" || got.kwargs["subtype_xmlid"] != "mail.mt_note" {
		t.Errorf("call = %+v", got)
	}
}

type executorFunc func(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error)

func (f executorFunc) ExecuteKw(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	return f(ctx, model, method, args, kwargs)
}
