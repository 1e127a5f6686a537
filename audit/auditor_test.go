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

func TestAuditorLogsARecordItCannotWriteAndTurnsUnready(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.jsonl")
	file, err := OpenFile(path, FileOptions{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	notes := &fakeNotes{fail: true}
	a := New(Options{File: file, Notes: notes}, zap.New(core))
	defer a.Close(context.Background())
	if err := a.Ready(); err != nil {
		t.Fatalf("Ready before any failure: %v", err)
	}
	file.f.Close() // writes fail from now on
	if err := a.Record(context.Background(), sampleRecord(0)); err == nil {
		t.Fatal("Record succeeded on a closed file")
	}
	if a.Failures() != 1 {
		t.Errorf("Failures = %d, want 1", a.Failures())
	}
	lost := logs.FilterMessageSnippet("NOT written").All()
	if len(lost) != 1 || lost[0].Level != zapcore.ErrorLevel || lost[0].ContextMap()["request_id"] != "req-a" {
		t.Fatalf("error log = %+v, want the whole record at ERROR", lost)
	}
	// The path now names a directory: reopening fails, so writes must be
	// refused before they reach Odoo.
	file.path = dir
	if err := a.Ready(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ready = %v, want ErrUnavailable", err)
	}
	file.path = path
	if err := a.Ready(); err != nil {
		t.Errorf("Ready once the file can be reopened: %v", err)
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
