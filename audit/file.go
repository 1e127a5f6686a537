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

	"go.uber.org/zap"
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
// Failures: a record that cannot be appended (full disk, I/O error, the
// directory gone) is kept in memory, at most maxPending of them, and the
// log stays failed (Probe and Append return an error) until every kept
// record has been appended, in order; each Probe and Append tries again.
//
// Rotation: before each write the file at the path is compared with the
// open one. When it was moved, deleted or emptied (logrotate's create or
// copytruncate), the log reopens the path and continues the chain there:
// the new file starts with a continuation record (ActionContinue) whose
// prev is the last hash of the previous file.
//
// Lock: the open file holds an exclusive flock, so a second process (a
// second proxy started with the same audit.file) cannot open it; after a
// rotation the new file is locked in turn.
//
// FileLog is safe for concurrent use; records are written one at a time,
// each with a single write call on a file opened O_APPEND.
type FileLog struct {
	path string
	sync bool
	key  []byte // nil: plain SHA-256 chain
	now  func() time.Time
	log  *zap.Logger
	// write writes one line: (*os.File).Write, replaced in tests to fail.
	write func(f *os.File, line []byte) (int, error)

	mu      sync.Mutex
	f       *os.File // nil once closed
	size    int64    // bytes of complete records
	seq     int64
	prev    string
	pending []Record // not yet in the file, oldest first; the log is failed while any wait
	lost    int64    // records neither appended nor kept
}

// maxPending bounds the records kept in memory while the file cannot be
// written. Writes are refused meanwhile, so only those already under way
// and reads of full numbers add to them.
const maxPending = 1000

// ActionContinue is the action of the record that starts a file continuing
// the chain of a file that was moved or deleted while the proxy ran.
const ActionContinue = "continue_chain"

// ErrRecordKept is joined to an Append error when the record waits in
// memory and will be appended once the file takes writes again.
var ErrRecordKept = errors.New("the record is kept in memory until the audit file takes writes again")

// errClosed answers appends after Close.
var errClosed = errors.New("audit: the file is closed")

// FileOptions tune a FileLog.
type FileOptions struct {
	// Sync fsyncs every record before Append returns (recommended).
	Sync bool
	// Key, when set, seals records with HMAC-SHA256 instead of SHA-256, so
	// that whoever can edit the file cannot recompute the chain without
	// it. A file is keyed from its first record or not at all.
	Key []byte
	// Log receives the file's own events: rotation followed, kept records
	// appended late. Nil: none.
	Log *zap.Logger
}

// OpenFile opens (or creates, mode 0600) the audit file at path, locks it
// and continues its chain. It fails when the file cannot be opened for
// appending, another process holds it (ErrInUse: a chain has one writer)
// or its last record is not intact (with a key: not sealed with that key):
// the proxy must not start writing after a tampered or cut tail (run
// `audit verify` to see why). The lock is held until Close.
func OpenFile(path string, o FileOptions) (*FileLog, error) {
	l := &FileLog{path: path, sync: o.Sync, key: o.Key, now: time.Now, log: o.Log, write: (*os.File).Write}
	if l.log == nil {
		l.log = zap.NewNop()
	}
	f, err := l.openLocked()
	if err != nil {
		return nil, err
	}
	last, size, err := l.tail(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	l.f, l.size, l.seq, l.prev = f, size, last.Seq, last.Hash
	return l, nil
}

// openLocked opens the file at the path and locks it. A file system that
// cannot lock is used all the same (warned): the chain check of follow
// still stops a second writer, only later.
func (l *FileLog) openLocked() (*os.File, error) {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", l.path, err)
	}
	switch err := lockFile(f, l.path); {
	case errors.Is(err, ErrInUse):
		f.Close()
		return nil, err
	case err != nil:
		l.log.Warn("the audit file is used without a lock: a second process writing it is noticed only at the next record",
			zap.String("file", l.path), zap.Error(err))
	}
	return f, nil
}

// tail reads the last record of f (Hash is genesis for an empty file) and
// its size.
func (l *FileLog) tail(f *os.File) (Record, int64, error) {
	last, size, err := lastRecord(f, l.key)
	switch {
	case errors.Is(err, ErrKeyNeeded):
		return Record{}, 0, fmt.Errorf("audit: %s is keyed: set audit.hmac_key_file, or start a new file", l.path)
	case errors.Is(err, errUnkeyed):
		return Record{}, 0, fmt.Errorf("audit: %s: %w; a file is keyed from its first record: move it away to start a keyed one", l.path, err)
	case err != nil:
		return Record{}, 0, fmt.Errorf("audit: %s: %w (run: g2p-bank-proxy audit verify %s)", l.path, err, l.path)
	}
	if size == 0 {
		last.Hash = genesis
	}
	return last, size, nil
}

// maxLine bounds one record; a record with thousands of account ids stays
// far below it.
const maxLine = 4 << 20

// lastRecord returns the file's last record (zero for an empty file) and
// the file size. It reads only the tail.
func lastRecord(f *os.File, key []byte) (Record, int64, error) {
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
	r, err := parseLine(line, key)
	if err != nil {
		return Record{}, 0, fmt.Errorf("the last record: %w", err)
	}
	return r, size, nil
}

// Append seals r into the chain and writes it, after any records kept
// from earlier failures. On failure nothing of r stays in the file (a
// partial line is cut off again when possible), r is kept for a later
// attempt (the error then wraps ErrRecordKept) unless too many wait, and
// the log is failed until every kept record is in the file.
func (l *FileLog) Append(r Record) (Record, error) {
	stamp(&r, l.now)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		l.lost++
		return Record{}, errClosed
	}
	err := l.catchUp()
	if err == nil {
		var sealed Record
		if sealed, err = l.writeRecord(r); err == nil {
			return sealed, nil
		}
		if errors.Is(err, errTooLarge) {
			l.lost++
			return Record{}, err // it could never be written: keeping it would block the file for good
		}
	}
	if len(l.pending) >= maxPending {
		l.lost++
		return Record{}, fmt.Errorf("%w; %d records already wait in memory, this one is not kept", err, len(l.pending))
	}
	l.pending = append(l.pending, r)
	return Record{}, fmt.Errorf("%w; %w", err, ErrRecordKept)
}

// stamp sets the record's time when the caller has not.
func stamp(r *Record, now func() time.Time) {
	if r.Time == "" {
		r.Time = now().UTC().Format(time.RFC3339Nano)
	}
}

// catchUp follows a moved or emptied file and appends the kept records.
// It returns nil when the file is ready for the next record. Called with
// mu held.
func (l *FileLog) catchUp() error {
	if err := l.follow(); err != nil {
		return err
	}
	if len(l.pending) == 0 {
		return nil
	}
	from := l.seq + 1
	for len(l.pending) > 0 {
		_, err := l.writeRecord(l.pending[0])
		switch {
		case errors.Is(err, errTooLarge):
			l.lost++ // never writable (and logged when it was made): it must not block the rest
		case err != nil:
			return err
		}
		l.pending[0] = Record{}
		l.pending = l.pending[1:]
	}
	l.pending = nil
	l.log.Warn("the audit file takes writes again: the records kept in memory are appended",
		zap.String("file", l.path), zap.Int64("from_seq", from), zap.Int64("to_seq", l.seq))
	return nil
}

// follow makes sure the open file is the one at the path, unchanged by
// anyone else, and reopens the path when it is not. Called with mu held.
func (l *FileLog) follow() error {
	old := l.f
	var f *os.File // the file at the path; old when it is the same file changed in place
	if open, err := old.Stat(); err == nil {
		if atPath, err := os.Stat(l.path); err == nil && os.SameFile(open, atPath) {
			if open.Size() == l.size {
				return nil
			}
			// Emptied in place, or written by someone else: read it
			// through old, which holds the lock a second open could not
			// take.
			f = old
		}
	}
	if f == nil {
		var err error
		if f, err = l.openLocked(); err != nil {
			return err
		}
	}
	reopened := f != old
	last, size, err := l.tail(f)
	if err != nil {
		if reopened {
			f.Close()
		}
		return err
	}
	switch {
	case last.Seq == l.seq && last.Hash == l.prev:
		// The same chain: e.g. the file was copied back, or nothing was
		// written before it was replaced by an empty one.
		if reopened {
			old.Close() // nothing more goes there
		}
		l.f, l.size = f, size
	case size == 0:
		// Moved or deleted (a new file), or emptied in place: the new
		// file says first that it continues this chain. Until that record
		// is written the old descriptor stays, so the next attempt
		// reopens the path and tries again.
		oldSize := l.size
		l.f, l.size = f, 0
		prevSeq, prevHash := l.seq, l.prev
		c := Record{Action: ActionContinue,
			Detail: fmt.Sprintf("this file continues the chain of a previous audit file that ends with record %d (hash %s)", prevSeq, prevHash)}
		stamp(&c, l.now)
		if _, err := l.writeRecord(c); err != nil {
			if reopened {
				f.Close()
			}
			l.f, l.size = old, oldSize
			return err
		}
		if reopened {
			old.Close()
		}
		l.log.Warn("the audit file was moved, deleted or emptied: continuing its chain in a new file",
			zap.String("file", l.path), zap.Int64("last_seq", prevSeq), zap.String("last_hash", prevHash))
	case reopened:
		f.Close()
		return fmt.Errorf("audit: %s was replaced by a file that does not continue this process's chain "+
			"(its last record is %d, this process wrote %d): move it away or restart the proxy", l.path, last.Seq, l.seq)
	default:
		return fmt.Errorf("audit: %s was written to by another process that does not take its lock "+
			"(its last record is %d, this process wrote %d): stop that process, then move the file away or restart the proxy",
			l.path, last.Seq, l.seq)
	}
	return nil
}

// errTooLarge refuses a record that cannot fit one line.
var errTooLarge = errors.New("audit: the record exceeds the line limit")

// writeRecord seals r after the last record in the file and writes it.
// Called with mu held.
func (l *FileLog) writeRecord(r Record) (Record, error) {
	r.Seq, r.Prev = l.seq+1, l.prev
	line := r.seal(l.key)
	if len(line) > maxLine {
		return Record{}, fmt.Errorf("%w (%d bytes, limit %d)", errTooLarge, len(line), maxLine)
	}
	_, err := l.write(l.f, line)
	if err == nil && l.sync {
		err = l.f.Sync()
	}
	if err != nil {
		// Best effort: a cut line left behind makes the next follow
		// refuse the file. err names the file.
		_ = l.f.Truncate(l.size)
		return Record{}, fmt.Errorf("audit: %w", err)
	}
	l.size += int64(len(line))
	l.seq, l.prev = r.Seq, r.Hash
	return r, nil
}

// Probe reports whether records can be appended: it follows a moved file
// and appends the records kept from earlier failures, and fails while
// that does not work.
func (l *FileLog) Probe() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errClosed
	}
	return l.catchUp()
}

// Pending returns how many records wait in memory for the file.
func (l *FileLog) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}

// Lost counts records that were neither appended nor kept (each was
// logged by the Auditor: that line is its only copy).
func (l *FileLog) Lost() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Close appends the kept records if it can and closes the file. It
// reports records that never reached the file.
func (l *FileLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	var err error
	if cerr := l.catchUp(); cerr != nil && len(l.pending) > 0 {
		l.lost += int64(len(l.pending))
		err = fmt.Errorf("audit: %d records never reached %s (each is in the log): %w", len(l.pending), l.path, cerr)
		l.pending = nil
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
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
	Records int64 // lines in the file
	// ContinuesFrom is the prev of the first record when the file starts
	// with a continuation record (ActionContinue): the last hash of the
	// file it continues. Empty when the file starts a chain.
	ContinuesFrom string
	FirstSeq      int64
	LastSeq       int64
	// LastHash is the hash of the last record. Keep it elsewhere (shipped
	// logs, a ticket, another host): records cut off the end leave a
	// valid, shorter chain that only such a copy shows.
	LastHash string
	// Keyed: the records are sealed with HMAC-SHA256 and were checked
	// with the key.
	Keyed bool
}

// Verify reads an audit file from r and checks every line: it must be an
// intact record and follow the previous one (seq + 1, prev = its hash). The
// first must start a chain (seq 1 after the genesis hash) or be a
// continuation record, which names the file before it. It returns the
// first broken line as a *TamperError. Removing records from the end
// leaves a valid, shorter chain: compare Summary.LastHash with a copy
// kept elsewhere for that.
//
// With a key, every record must be sealed with it (a plain one is what
// someone without the key would write); without one, a keyed record
// stops the check with ErrKeyNeeded.
func Verify(r io.Reader, key []byte) (Summary, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var s Summary
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
		rec, err := parseLine(line[:len(line)-1], key)
		if errors.Is(err, ErrKeyNeeded) {
			return s, fmt.Errorf("line %d: %w", n, err)
		}
		if err != nil {
			return s, &TamperError{Line: n, Reason: err.Error()}
		}
		switch {
		case n == 1 && rec.Seq == 1 && rec.Prev == genesis:
		case n == 1 && rec.Action == ActionContinue && rec.Seq > 1:
			s.ContinuesFrom = rec.Prev
		case n == 1:
			return s, &TamperError{Line: n, Reason: fmt.Sprintf(
				"record seq %d neither starts a chain nor continues a previous file: the lines before it were deleted", rec.Seq)}
		case rec.Seq != s.LastSeq+1 || rec.Prev != s.LastHash:
			return s, &TamperError{Line: n, Reason: fmt.Sprintf(
				"record seq %d does not follow the line before (seq %d): a line before it was deleted, inserted or moved", rec.Seq, s.LastSeq)}
		}
		if n == 1 {
			s.FirstSeq, s.Keyed = rec.Seq, rec.MAC != ""
		}
		s.Records++
		s.LastSeq, s.LastHash = rec.Seq, rec.Hash
	}
}
