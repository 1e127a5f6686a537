package audit

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// ErrInUse is wrapped by the error of OpenFile (and of a write after
// rotation) when another process holds the audit file: a hash chain has
// one writer.
var ErrInUse = errors.New("is in use by another process")

// errNoLock wraps a lock that could not be taken for another reason than
// a holder (a file system without flock): the file is used unlocked.
var errNoLock = errors.New("cannot be locked")

// lockFile takes an exclusive advisory lock (flock) on f without waiting,
// so that a second proxy started with the same audit.file stops at start
// instead of refusing every write later. The lock belongs to the open
// file description: it lasts until f is closed, and another open of the
// same file, in this process too, cannot take it meanwhile.
func lockFile(f *os.File, path string) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("audit: %s %w: %w", path, errNoLock, err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB) }); err != nil {
		return fmt.Errorf("audit: %s %w: %w", path, errNoLock, err)
	}
	switch {
	case ferr == nil:
		return nil
	case errors.Is(ferr, syscall.EWOULDBLOCK):
		return fmt.Errorf("audit: audit file %s %w%s: give each proxy process its own audit.file "+
			"(with several replicas, one file per replica)", path, ErrInUse, lockHolder(f))
	default:
		return fmt.Errorf("audit: %s %w: %w", path, errNoLock, ferr)
	}
}

// lockHolder names the process that holds f's flock as " (pid N)", read
// from /proc/locks (Linux). It is "" when that cannot be told: another
// system, or a holder in another PID namespace (listed as pid 0).
func lockHolder(f *os.File) string {
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return ""
	}
	// A line: "1: FLOCK  ADVISORY  WRITE 4242 fe:00:9977886 0 EOF", the file
	// as major:minor (hex) and inode of its device; waiters have "->"
	// after the number and are skipped by the field positions.
	dev := uint64(st.Dev)
	major := uint32(dev>>8)&0xfff | uint32(dev>>32)&^0xfff
	minor := uint32(dev)&0xff | uint32(dev>>12)&^0xff
	file := fmt.Sprintf("%02x:%02x:%d", major, minor, uint64(st.Ino))
	for line := range strings.Lines(string(locks)) {
		fields := strings.Fields(line)
		if len(fields) >= 6 && fields[1] == "FLOCK" && fields[5] == file && fields[4] != "0" {
			return " (pid " + fields[4] + ")"
		}
	}
	return ""
}
