package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleRecord(i int) Record {
	return Record{
		RequestID: "req-" + string(rune('a'+i)), ClientID: "enrolment-app", Action: "POST /registrants/:id/bank-accounts",
		RegistrantIDs: []int64{int64(40 + i)}, AccountIDs: []int64{int64(100 + i)}, MaskedNumbers: []string{"****4242"},
		Outcome: OutcomeSuccess, Status: 201,
	}
}

// writeLog appends n records to a new file and returns its path and lines.
func writeLog(t *testing.T, n int) (string, [][]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := OpenFile(path, FileOptions{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, bytes.SplitAfter(data, []byte("\n"))[:n]
}

func TestAppendedRecordsVerify(t *testing.T) {
	path, lines := writeLog(t, 3)
	// Reopening continues the chain.
	l, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Append(sampleRecord(3))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if r.Seq != 4 {
		t.Errorf("seq after reopening = %d, want 4", r.Seq)
	}
	f, _ := os.Open(path)
	defer f.Close()
	s, err := Verify(f)
	if err != nil || s.Records != 4 || s.LastHash != r.Hash {
		t.Fatalf("Verify = %+v, %v; want 4 records ending with %s", s, err, r.Hash)
	}
	if !bytes.Contains(lines[0], []byte(`"prev":"`+genesis+`"`)) || !bytes.Contains(lines[0], []byte(`"masked_numbers":["****4242"]`)) {
		t.Errorf("first line %s: want the genesis prev and the masked number", lines[0])
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", info.Mode().Perm())
	}
}

func TestVerifyFindsTheFirstTamperedLine(t *testing.T) {
	_, lines := writeLog(t, 5)
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	edited := bytes.Replace(lines[2], []byte(`"status":201`), []byte(`"status":200`), 1)
	// An attacker who recomputes the edited line's hash still breaks the
	// link from the next line.
	resealed, err := parseLine(bytes.TrimSuffix(lines[2], []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	resealed.Status = 200
	resealedLine := resealed.seal()
	tests := []struct {
		name string
		file []byte
		line int
	}{
		{"edited value", join(lines[0], lines[1], edited, lines[3], lines[4]), 3},
		{"edited value with a recomputed hash", join(lines[0], lines[1], resealedLine, lines[3], lines[4]), 4},
		{"deleted line", join(lines[0], lines[1], lines[3], lines[4]), 3},
		{"deleted first line", join(lines[1], lines[2], lines[3], lines[4]), 1},
		{"reordered lines", join(lines[0], lines[2], lines[1], lines[3], lines[4]), 2},
		{"duplicated line", join(lines[0], lines[1], lines[1], lines[2], lines[3], lines[4]), 3},
		{"line cut in the middle", join(lines[0], lines[1][:40], []byte("\n"), lines[2], lines[3], lines[4]), 2},
		{"lines cut out mid-record", join(lines[0], lines[1][:40], lines[3][60:], lines[4]), 2},
		{"file cut in the last record", join(lines[0], lines[1], lines[2], lines[3], lines[4][:50]), 5},
		{"reformatted line", join(lines[0], bytes.Replace(lines[1], []byte(`":`), []byte(`": `), 1), lines[2]), 2},
		{"added member", join(lines[0], bytes.Replace(lines[1], []byte(`{"seq"`), []byte(`{"note":"x","seq"`), 1), lines[2]), 2},
		{"blank line", join(lines[0], []byte("\n"), lines[1]), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(bytes.NewReader(tt.file))
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TamperError", err)
			}
			if te.Line != tt.line {
				t.Errorf("reported line %d (%s), want %d", te.Line, te.Reason, tt.line)
			}
		})
	}
	if s, err := Verify(bytes.NewReader(join(lines...))); err != nil || s.Records != 5 {
		t.Errorf("the untouched file: %+v, %v", s, err)
	}
}

func TestOpenFileRefusesADamagedTail(t *testing.T) {
	path, lines := writeLog(t, 2)
	for name, content := range map[string][]byte{
		"cut last line":    append(append([]byte{}, lines[0]...), lines[1][:30]...),
		"edited last line": append(append([]byte{}, lines[0]...), bytes.Replace(lines[1], []byte("201"), []byte("500"), 1)...),
	} {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFile(path, FileOptions{}); err == nil || !strings.Contains(err.Error(), "audit verify") {
			t.Errorf("%s: err = %v, want a refusal pointing at audit verify", name, err)
		}
	}
}

// A failed append marks the log failed until Probe manages to reopen the
// file; the chain stays intact across the failure.
func TestAppendFailureIsStickyUntilProbeReopens(t *testing.T) {
	path, _ := writeLog(t, 1)
	l, err := OpenFile(path, FileOptions{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.f.Close() // the disk goes away under the open file
	if _, err := l.Append(sampleRecord(1)); err == nil {
		t.Fatal("append to a closed file succeeded")
	}
	if _, err := l.Append(sampleRecord(2)); err == nil {
		t.Fatal("append after a failure succeeded without a probe")
	}
	if err := l.Probe(); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if r, err := l.Append(sampleRecord(3)); err != nil || r.Seq != 2 {
		t.Fatalf("append after probe: %+v, %v; want seq 2", r, err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	if s, err := Verify(f); err != nil || s.Records != 2 {
		t.Errorf("Verify = %+v, %v", s, err)
	}
}
