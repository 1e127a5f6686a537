package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// FileLog appends records to a JSON-lines file, each carrying the hash of
// the one before (Prev) and its own (Hash), so that `g2p-bank-proxy audit
// verify` finds any edited, deleted, inserted, reordered or cut line.
//
// Durability: with Sync, every record is fsynced before Append returns, so
// a record the proxy reported is on disk even if the machine loses power
// right after (the cost: one fsync per write request). Without Sync the
// operating system flushes when it likes; a crash can lose the last
// seconds of records.
//
// FileLog is safe for concurrent use; records are written one at a time,
// each with a single write call on a file opened O_APPEND.
type FileLog struct {
	path string
	sync bool
	now  func() time.Time

	mu     sync.Mutex
	f      *os.File
	size   int64 // bytes of complete records
	seq    int64
	prev   string
	failed error // sticky until Probe reopens the file successfully
}

// FileOptions tune a FileLog.
type FileOptions struct {
	// Sync fsyncs every record before Append returns (recommended).
	Sync bool
}

// OpenFile opens (or creates, mode 0600) the audit file at path and
// continues its chain. It fails when the file cannot be opened for
// appending or its last record is not intact: the proxy must not start
// writing after a tampered or cut tail (run `audit verify` to see why).
func OpenFile(path string, o FileOptions) (*FileLog, error) {
	l := &FileLog{path: path, sync: o.Sync, now: time.Now}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// open (re)opens the file and reads its last record. Called with mu held
// (or before l is shared).
func (l *FileLog) open() error {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: open %s: %w", l.path, err)
	}
	last, size, err := lastRecord(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %s: %w (run: g2p-bank-proxy audit verify %s)", l.path, err, l.path)
	}
	if l.f != nil {
		l.f.Close()
	}
	l.f, l.size, l.seq, l.prev = f, size, last.Seq, last.Hash
	if last.Hash == "" {
		l.prev = genesis
	}
	return nil
}

// maxLine bounds one record; a record with thousands of account ids stays
// far below it.
const maxLine = 4 << 20

// lastRecord returns the file's last record (zero for an empty file) and
// the file size. It reads only the tail.
func lastRecord(f *os.File) (Record, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return Record{}, 0, err
	}
	size := st.Size()
	if size == 0 {
		return Record{}, 0, nil
	}
	start := max(size-maxLine, 0)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
		return Record{}, 0, err
	}
	if buf[len(buf)-1] != '\n' {
		return Record{}, 0, errors.New("the last line is incomplete (a write was cut off)")
	}
	line := buf[:len(buf)-1]
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	r, err := parseLine(line)
	if err != nil {
		return Record{}, 0, fmt.Errorf("the last record: %w", err)
	}
	return r, size, nil
}

// Append seals r into the chain and writes it. On failure nothing of r
// stays in the file (a partial line is cut off again when possible) and
// the log is marked failed until Probe succeeds.
func (l *FileLog) Append(r Record) (Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed != nil {
		return Record{}, l.failed
	}
	if r.Time == "" {
		r.Time = l.now().UTC().Format(time.RFC3339Nano)
	}
	r.Seq, r.Prev = l.seq+1, l.prev
	line := r.seal()
	if len(line) > maxLine {
		return Record{}, fmt.Errorf("audit: record of %d bytes exceeds %d", len(line), maxLine)
	}
	_, err := l.f.Write(line)
	if err == nil && l.sync {
		err = l.f.Sync()
	}
	if err != nil {
		_ = l.f.Truncate(l.size) // best effort: a cut line would break the chain for every later record
		l.failed = fmt.Errorf("audit: write %s: %w", l.path, err)
		return Record{}, l.failed
	}
	l.size += int64(len(line))
	l.seq, l.prev = r.Seq, r.Hash
	return r, nil
}

// Probe reports whether records can be appended. After a failed append it
// reopens the file (the disk may have been freed or remounted) and clears
// the failure when that works; a failure that persists shows again on the
// next Append.
func (l *FileLog) Probe() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed == nil {
		return nil
	}
	if err := l.open(); err != nil {
		return err
	}
	l.failed = nil
	return nil
}

// Close closes the file.
func (l *FileLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	l.failed = errors.New("audit: closed")
	return err
}

// TamperError locates the first line of an audit file that breaks the
// chain.
type TamperError struct {
	Line   int // 1-based
	Reason string
}

func (e *TamperError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Summary describes an intact audit file.
type Summary struct {
	Records  int64
	LastHash string // keep it elsewhere (a ticket, another host) to detect a cut-off tail later
}

// Verify reads an audit file from r and checks every line: it must be an
// intact record, follow the previous one (seq + 1, prev = its hash) and
// the first must start the chain. It returns the first broken line as a
// *TamperError. Removing records from the end leaves a valid, shorter
// chain: compare Summary.LastHash with a copy kept elsewhere for that.
func Verify(r io.Reader) (Summary, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	s := Summary{LastHash: genesis}
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				return s, &TamperError{Line: n, Reason: "incomplete line (the file was cut in the middle of a record)"}
			}
			return s, nil
		}
		if err != nil {
			return s, err
		}
		rec, err := parseLine(line[:len(line)-1])
		if err != nil {
			return s, &TamperError{Line: n, Reason: err.Error()}
		}
		if rec.Seq != s.Records+1 || rec.Prev != s.LastHash {
			return s, &TamperError{Line: n, Reason: fmt.Sprintf(
				"record seq %d does not follow the line before (seq %d): a line before it was deleted, inserted or moved", rec.Seq, s.Records)}
		}
		s.Records, s.LastHash = rec.Seq, rec.Hash
	}
}
