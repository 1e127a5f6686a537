package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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
	s, err := Verify(f, nil)
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
	resealed, err := parseLine(bytes.TrimSuffix(lines[2], []byte("\n")), nil)
	if err != nil {
		t.Fatal(err)
	}
	resealed.Status = 200
	resealedLine := resealed.seal(nil)
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
			_, err := Verify(bytes.NewReader(tt.file), nil)
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TamperError", err)
			}
			if te.Line != tt.line {
				t.Errorf("reported line %d (%s), want %d", te.Line, te.Reason, tt.line)
			}
		})
	}
	if s, err := Verify(bytes.NewReader(join(lines...)), nil); err != nil || s.Records != 5 {
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

// fullDisk makes a FileLog's writes fail with ENOSPC while it is on; with
// partial set, half of each line is written first (a write cut short).
type fullDisk struct {
	on, partial bool
}

func (d *fullDisk) install(l *FileLog) {
	l.write = func(f *os.File, line []byte) (int, error) {
		if !d.on {
			return f.Write(line)
		}
		if d.partial {
			n, _ := f.Write(line[:len(line)/2])
			return n, syscall.ENOSPC
		}
		return 0, syscall.ENOSPC
	}
}

// openLog opens the log at path for the test and closes it at its end.
func openLog(t *testing.T, path string, o FileOptions) *FileLog {
	t.Helper()
	l, err := OpenFile(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// verifyFile runs Verify on the file at path and fails the test unless it
// is intact.
func verifyFile(t *testing.T, path string) Summary {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Verify(f, nil)
	if err != nil {
		t.Fatalf("Verify %s: %v", path, err)
	}
	return s
}

func readRecords(t *testing.T, path string) []Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		r, err := parseLine(bytes.TrimSuffix(line, []byte("\n")), nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// A full disk (the file still opens, writes fail): the failed records are
// kept, the log stays failed however often it is probed, and once the
// disk has room the kept records are appended in order before new ones.
func TestFullDiskKeepsRecordsAndStaysFailedUntilTheyAreWritten(t *testing.T) {
	for _, partial := range []bool{false, true} {
		t.Run(fmt.Sprintf("partial=%v", partial), func(t *testing.T) {
			path, _ := writeLog(t, 1)
			l := openLog(t, path, FileOptions{Sync: true})
			disk := &fullDisk{on: true, partial: partial}
			disk.install(l)
			for i := 1; i <= 2; i++ {
				if _, err := l.Append(sampleRecord(i)); !errors.Is(err, ErrRecordKept) || !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("append %d on a full disk: %v, want ENOSPC and the record kept", i, err)
				}
				if err := l.Probe(); err == nil {
					t.Fatalf("probe after failed append %d succeeded", i)
				}
			}
			if l.Pending() != 2 {
				t.Errorf("Pending = %d, want 2", l.Pending())
			}
			if s := verifyFile(t, path); s.Records != 1 {
				t.Errorf("the file holds %d records after the failures, want the 1 from before", s.Records)
			}

			disk.on = false
			if err := l.Probe(); err != nil {
				t.Fatalf("probe once the disk has room: %v", err)
			}
			r, err := l.Append(sampleRecord(3))
			if err != nil || r.Seq != 4 {
				t.Fatalf("append after recovery: %+v, %v; want seq 4", r, err)
			}
			recs := readRecords(t, path)
			var got []string
			for _, r := range recs {
				got = append(got, r.RequestID)
			}
			if want := []string{"req-a", "req-b", "req-c", "req-d"}; !slices.Equal(got, want) {
				t.Errorf("records in the file %v, want %v (kept ones in order, then the new one)", got, want)
			}
			if recs[1].Time == "" || recs[1].Time > recs[3].Time {
				t.Errorf("a kept record carries the time it was made: %q, then %q", recs[1].Time, recs[3].Time)
			}
			if s := verifyFile(t, path); s.Records != 4 || l.Pending() != 0 {
				t.Errorf("after recovery: %+v, pending %d", s, l.Pending())
			}
		})
	}
}

func TestAppendBoundsTheKeptRecords(t *testing.T) {
	path, _ := writeLog(t, 0)
	l, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	disk := &fullDisk{on: true}
	disk.install(l)
	for i := range maxPending {
		if _, err := l.Append(sampleRecord(i)); !errors.Is(err, ErrRecordKept) {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if _, err := l.Append(sampleRecord(0)); err == nil || errors.Is(err, ErrRecordKept) {
		t.Fatalf("append past the bound: %v, want an error without ErrRecordKept", err)
	}
	if l.Pending() != maxPending || l.Lost() != 1 {
		t.Errorf("Pending %d, Lost %d; want %d and 1", l.Pending(), l.Lost(), maxPending)
	}
	// Closing while the disk is still full: the kept records never reach
	// the file, and Close says so.
	if err := l.Close(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d records never reached", maxPending)) {
		t.Errorf("Close = %v", err)
	}
	if l.Lost() != maxPending+1 {
		t.Errorf("Lost after Close = %d", l.Lost())
	}
}

// When the descriptor goes bad (here: closed under the log), the next
// attempt reopens the path and the chain stays intact.
func TestABadDescriptorIsReopened(t *testing.T) {
	path, _ := writeLog(t, 1)
	l := openLog(t, path, FileOptions{Sync: true})
	l.f.Close()
	if r, err := l.Append(sampleRecord(1)); err != nil || r.Seq != 2 {
		t.Fatalf("append after the descriptor went bad: %+v, %v", r, err)
	}
	if s := verifyFile(t, path); s.Records != 2 {
		t.Errorf("Verify = %+v", s)
	}
}

// logrotate moves the file (create mode), deletes it, or empties it in
// place (copytruncate): the next record goes to the file at the path, which
// starts with a continuation record linking it to the previous file.
func TestRotatedFileContinuesTheChain(t *testing.T) {
	for _, rotate := range []struct {
		name string
		do   func(path string) error
		kept bool // the previous file still exists (as path.1) to verify
	}{
		{"moved", func(path string) error { return os.Rename(path, path+".1") }, true},
		{"deleted", os.Remove, false},
		{"emptied in place", func(path string) error { return os.Truncate(path, 0) }, false},
	} {
		t.Run(rotate.name, func(t *testing.T) {
			path, _ := writeLog(t, 0)
			l := openLog(t, path, FileOptions{Sync: true})
			last, err := l.Append(sampleRecord(0))
			if err != nil {
				t.Fatal(err)
			}
			if err := rotate.do(path); err != nil {
				t.Fatal(err)
			}
			r, err := l.Append(sampleRecord(1))
			if err != nil || r.Seq != 3 {
				t.Fatalf("append after rotation: %+v, %v; want seq 3 (after the continuation record)", r, err)
			}
			recs := readRecords(t, path)
			if len(recs) != 2 || recs[0].Action != ActionContinue || recs[0].Prev != last.Hash || recs[0].Seq != 2 ||
				!strings.Contains(recs[0].Detail, last.Hash) || recs[1].RequestID != "req-b" {
				t.Fatalf("new file: %+v", recs)
			}
			s := verifyFile(t, path)
			if s.ContinuesFrom != last.Hash || s.FirstSeq != 2 || s.LastSeq != 3 || s.Records != 2 {
				t.Errorf("Verify of the new file = %+v, want it to continue from %s", s, last.Hash)
			}
			if rotate.kept {
				if old := verifyFile(t, path+".1"); old.LastHash != last.Hash || old.Records != 1 {
					t.Errorf("Verify of the old file = %+v", old)
				}
			}
		})
	}
}

// The directory goes away: the record is kept and the log is failed until
// the path can be written again; the new file then continues the chain.
func TestMissingDirectoryFailsUntilItIsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "audit.jsonl")
	l := openLog(t, path, FileOptions{})
	first, err := l.Append(sampleRecord(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(sampleRecord(1)); !errors.Is(err, ErrRecordKept) {
		t.Fatalf("append without a directory: %v", err)
	}
	if err := l.Probe(); err == nil {
		t.Fatal("probe succeeded without a directory")
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := l.Probe(); err != nil {
		t.Fatalf("probe with the directory back: %v", err)
	}
	recs := readRecords(t, path)
	if len(recs) != 2 || recs[0].Action != ActionContinue || recs[0].Prev != first.Hash || recs[1].RequestID != "req-b" {
		t.Errorf("new file: %+v", recs)
	}
}

// A continuation record that cannot be written (the new file's disk is
// full) is written first once the disk has room, before the kept records.
func TestContinuationRecordIsRetried(t *testing.T) {
	path, _ := writeLog(t, 0)
	l := openLog(t, path, FileOptions{})
	if _, err := l.Append(sampleRecord(0)); err != nil {
		t.Fatal(err)
	}
	disk := &fullDisk{}
	disk.install(l)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	disk.on = true
	if _, err := l.Append(sampleRecord(1)); !errors.Is(err, ErrRecordKept) {
		t.Fatalf("append: %v", err)
	}
	if err := l.Probe(); err == nil {
		t.Fatal("probe succeeded on a full disk")
	}
	disk.on = false
	if err := l.Probe(); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, path)
	if len(recs) != 2 || recs[0].Action != ActionContinue || recs[1].RequestID != "req-b" {
		t.Errorf("new file: %+v", recs)
	}
	verifyFile(t, path)
}

// Someone puts another chain at the path: the log refuses to mix chains.
func TestForeignFileAtThePathIsRefused(t *testing.T) {
	other, _ := writeLog(t, 2)
	path, _ := writeLog(t, 0)
	l := openLog(t, path, FileOptions{})
	if _, err := l.Append(sampleRecord(0)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(sampleRecord(1)); !errors.Is(err, ErrRecordKept) || !strings.Contains(err.Error(), "does not continue") {
		t.Fatalf("append over a foreign file: %v", err)
	}
	if s := verifyFile(t, path); s.Records != 2 {
		t.Errorf("the foreign file was written to: %+v", s)
	}
}

// With a key the chain is sealed with HMAC-SHA256: whoever edits the file
// cannot recompute it without the key, and a file is keyed from its first
// record or not at all.
func TestKeyedChain(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := OpenFile(path, FileOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	data, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(data, []byte("\n"))[:3]
	if !bytes.Contains(lines[0], []byte(`"mac":"hmac-sha256"`)) {
		t.Fatalf("first line %s: want it keyed", lines[0])
	}
	verify := func(file []byte, key []byte) (Summary, error) { return Verify(bytes.NewReader(file), key) }
	if s, err := verify(data, key); err != nil || !s.Keyed || s.Records != 3 {
		t.Errorf("Verify with the key = %+v, %v", s, err)
	}
	if _, err := verify(data, nil); !errors.Is(err, ErrKeyNeeded) {
		t.Errorf("Verify without the key = %v, want ErrKeyNeeded", err)
	}

	// An edit resealed, with the rest of the chain, by someone without the
	// key: as a plain chain, or with a guessed key.
	edited, err := parseLine(bytes.TrimSuffix(lines[1], []byte("\n")), key)
	if err != nil {
		t.Fatal(err)
	}
	edited.Status = 200
	for name, reseal := range map[string][]byte{"plain": nil, "guessed key": []byte("guessed-guessed-guessed-guessed-")} {
		first, err := parseLine(bytes.TrimSuffix(lines[0], []byte("\n")), key)
		if err != nil {
			t.Fatal(err)
		}
		rest := []Record{first, edited, {}}
		if rest[2], err = parseLine(bytes.TrimSuffix(lines[2], []byte("\n")), key); err != nil {
			t.Fatal(err)
		}
		var forged []byte
		prev := genesis
		for _, r := range rest {
			r.Prev = prev
			forged = append(forged, r.seal(reseal)...)
			prev = r.Hash
		}
		var te *TamperError
		if _, err := verify(forged, key); !errors.As(err, &te) || te.Line != 1 {
			t.Errorf("%s reseal: Verify = %v, want tampering at line 1", name, err)
		}
	}
	if _, err := verify(data, []byte("another-key-another-key-another-")); err == nil {
		t.Error("Verify with another key passed")
	}

	for name, o := range map[string]FileOptions{"no key": {}, "another key": {Key: []byte("another-key-another-key-another-")}} {
		if _, err := OpenFile(path, o); err == nil {
			t.Errorf("OpenFile of the keyed file with %s succeeded", name)
		}
	}
	plain, _ := writeLog(t, 1)
	if _, err := OpenFile(plain, FileOptions{Key: key}); err == nil || !strings.Contains(err.Error(), "keyed from its first record") {
		t.Errorf("OpenFile of a plain file with a key = %v", err)
	}
	l, err = OpenFile(path, FileOptions{Key: key})
	if err != nil {
		t.Fatalf("reopening with the key: %v", err)
	}
	defer l.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(sampleRecord(3)); err != nil {
		t.Fatal(err)
	}
	rotated, _ := os.ReadFile(path)
	if s, err := verify(rotated, key); err != nil || !s.Keyed || s.ContinuesFrom == "" {
		t.Errorf("Verify of the rotated keyed file = %+v, %v", s, err)
	}
}

// A chain has one writer: a second open of the file fails while the first
// holds it (flock locks belong to the open file description, so two opens
// in one process conflict like two processes), and succeeds once the
// first is closed.
func TestASecondOpenOfTheFileIsRefused(t *testing.T) {
	path, _ := writeLog(t, 1)
	l, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenFile(path, FileOptions{})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "audit file "+path+" is in use by another process") {
		t.Fatalf("second open: %v, want ErrInUse naming the file", err)
	}
	if _, statErr := os.Stat("/proc/locks"); statErr == nil && !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("second open: %v, want the holder's pid %d", err, os.Getpid())
	}
	if r, err := l.Append(sampleRecord(1)); err != nil || r.Seq != 2 {
		t.Errorf("the first log after the refused open: %+v, %v", r, err)
	}
	l.Close()
	l, err = OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatalf("open after the holder closed: %v", err)
	}
	l.Close()
}

// The file is rotated and another process starts on the new one: the
// first says at its next record that the file is in use, not that it was
// replaced, and writes nothing into the other's chain.
func TestRotatedFileHeldByAnotherProcess(t *testing.T) {
	path, _ := writeLog(t, 0)
	first := openLog(t, path, FileOptions{})
	if _, err := first.Append(sampleRecord(0)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	second := openLog(t, path, FileOptions{})
	if _, err := second.Append(sampleRecord(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Append(sampleRecord(2)); !errors.Is(err, ErrInUse) || !errors.Is(err, ErrRecordKept) {
		t.Fatalf("append of the first after rotation: %v, want ErrInUse and the record kept", err)
	}
	if recs := readRecords(t, path); len(recs) != 1 || recs[0].RequestID != "req-b" {
		t.Errorf("the second's file: %+v", recs)
	}
}

// A writer that does not lock appends to the open file: the log refuses
// to continue the mixed chain and says another process writes the file.
func TestAForeignAppendInPlaceIsRefused(t *testing.T) {
	_, foreign := writeLog(t, 1)
	path, _ := writeLog(t, 0)
	l := openLog(t, path, FileOptions{})
	if _, err := l.Append(sampleRecord(0)); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(foreign[0]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := l.Append(sampleRecord(1)); err == nil || !strings.Contains(err.Error(), "written to by another process") {
		t.Fatalf("append after a foreign line: %v", err)
	}
	if recs := readRecords(t, path); len(recs) != 2 {
		t.Errorf("the file holds %d records, want the 2 from before", len(recs))
	}
}
