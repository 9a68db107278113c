package guestinit

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"vmhost/inroot"

	"golang.org/x/sys/unix"
)

// Where glibc keeps the login records: _PATH_UTMP, _PATH_WTMP and
// _PATH_LASTLOG. On Debian /var/run is a symlink to /run.
const (
	utmpFile    = "/var/run/utmp"
	wtmpFile    = "/var/log/wtmp"
	lastlogFile = "/var/log/lastlog"
)

// utmpResolve resolves the login files inside the guest's root, through
// the guest's own symlinks (/var/run -> /run) but never a magic link of
// /proc; the file itself is opened O_NOFOLLOW, so it is never a symlink.
const utmpResolve = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// Bounds of the work on the login files, whatever the guest put there.
const (
	// utmpLockTimeout bounds the wait for another process's lock on one
	// file (glibc waits 10 s; a guest holding the lock only delays its
	// own login by this much).
	utmpLockTimeout = time.Second
	// maxUtmpScan bounds how much of utmp is searched for the login's
	// slot (2,730 records of 384 bytes); past it, the record is appended.
	maxUtmpScan = 1 << 20
)

// errNoLayout says that logins are not recorded on this architecture.
var errNoLayout = fmt.Errorf("no struct utmp layout known for %s", runtime.GOARCH)

// loginFiles writes the guest's utmp, wtmp and lastlog as sshd does, from
// a process with the guest root's credentials, inside the guest's root:
// only regular files, never through a symlink, a file made only in a
// directory that exists, every wait and read bounded.
type loginFiles struct {
	root   int // the guest's root directory, O_PATH
	layout utmpLayout
}

// openLoginFiles opens the login files of the tree at dir: the guest's
// root is "/" of the processes that write them.
func openLoginFiles(dir string) (*loginFiles, error) {
	l, ok := utmpLayouts[runtime.GOARCH]
	if !ok {
		return nil, errNoLayout
	}
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the guest's root: %w", err)
	}
	return &loginFiles{root: root, layout: l}, nil
}

// close closes the guest's root.
func (f *loginFiles) close() {
	unix.Close(f.root)
}

// recordLogin records r (a USER_PROCESS) as sshd's login does: in utmp, in
// place of the line's last record; appended to wtmp; and in root's
// lastlog entry. A file whose directory is missing is skipped.
func (f *loginFiles) recordLogin(r loginRecord) error {
	rec := f.layout.encode(r)
	return errors.Join(
		f.putUtmp(rec, r.ID, r.Line),
		f.appendWtmp(rec),
		f.putLastlog(0, f.layout.encodeLastlog(r.Time, r.Line, r.Host)),
	)
}

// recordBoot records the guest's start as an init system does at boot: utmp
// emptied of the logins of the guest's last run (their processes are gone)
// and holding a BOOT_TIME record, which is appended to wtmp too, so that
// who -b and last reboot know the guest's start.
// Equivalent to: systemd-update-utmp's "reboot" record, with utmp truncated
func (f *loginFiles) recordBoot(t time.Time) error {
	rec := f.layout.encode(loginRecord{Type: utBootTime, Line: "~", ID: "~~", User: "reboot", Time: t})
	return errors.Join(
		f.update(utmpFile, func(fd int, _ int64) (int64, error) { return 0, unix.Ftruncate(fd, 0) }, rec),
		f.appendWtmp(rec),
	)
}

// recordLogout records the end of the session pid on line as sshd's
// logout does: a DEAD_PROCESS record, without user or host, in utmp in
// place of the login and appended to wtmp.
func (f *loginFiles) recordLogout(line string, pid int32, t time.Time) error {
	r := loginRecord{Type: utDeadProcess, PID: pid, Line: line, ID: terminalID(line), Time: t}
	rec := f.layout.encode(r)
	return errors.Join(f.putUtmp(rec, r.ID, r.Line), f.appendWtmp(rec))
}

// putUtmp writes rec to utmp at the slot of id and line (utmpSlot), else
// at its end.
// Equivalent to: setutent(); pututline(rec); endutent()
func (f *loginFiles) putUtmp(rec []byte, id, line string) error {
	return f.update(utmpFile, func(fd int, size int64) (int64, error) {
		n := min(size, maxUtmpScan)
		data := make([]byte, n)
		got, err := preadFull(fd, data)
		if err != nil {
			return 0, err
		}
		if i := f.layout.utmpSlot(data[:got], id, line); i >= 0 {
			return int64(i * f.layout.size), nil
		}
		return f.recordEnd(size), nil
	}, rec)
}

// appendWtmp appends rec to wtmp, over a partial last record if any.
// Equivalent to: updwtmp(WTMP, rec)
func (f *loginFiles) appendWtmp(rec []byte) error {
	return f.update(wtmpFile, func(_ int, size int64) (int64, error) {
		return f.recordEnd(size), nil
	}, rec)
}

// putLastlog writes rec as the lastlog entry of uid.
// Equivalent to: pwrite(LASTLOG, rec, uid*sizeof(struct lastlog))
func (f *loginFiles) putLastlog(uid int, rec []byte) error {
	return f.update(lastlogFile, func(int, int64) (int64, error) {
		return int64(uid * f.layout.lastlog), nil
	}, rec)
}

// recordEnd is where a record is appended to a file of size bytes: after
// its last whole record, as glibc's updwtmp does.
func (f *loginFiles) recordEnd(size int64) int64 {
	return size - size%int64(f.layout.size)
}

// update opens name (made if missing, in a directory that exists), locks
// it, and writes rec at the offset where returns; a missing directory
// is no error.
func (f *loginFiles) update(name string, where func(fd int, size int64) (int64, error), rec []byte) error {
	fd, err := f.open(name)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := lockFile(fd, utmpLockTimeout); err != nil {
		return fmt.Errorf("locking %s: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("checking %s: %w", name, err)
	}
	off, err := where(fd, st.Size)
	if err == nil {
		_, err = unix.Pwrite(fd, rec, off)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// open opens name for reading and writing, made if missing, only if it is
// a regular file: never through a symlink, and without blocking on a FIFO
// the guest put there.
// Equivalent to: openat2(root, name, O_RDWR|O_CREAT|O_NOFOLLOW|O_NONBLOCK, IN_ROOT), fstat
func (f *loginFiles) open(name string) (int, error) {
	flags := unix.O_RDWR | unix.O_CREAT | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY
	fd, err := inroot.Open(f.root, name, flags, utmpResolve)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err == nil {
			err = fmt.Errorf("%s is a %s: %w", name, inroot.FileKind(st.Mode), inroot.ErrNotRegular)
		}
		return -1, err
	}
	return fd, nil
}

// lockFile takes a write lock on all of fd, waiting up to timeout for
// whoever holds one. It is an open file description lock, which conflicts
// with the fcntl locks glibc takes on utmp. Past timeout, the wait goes on
// in the background until the process exits or executes, which the callers
// do at once.
// Equivalent to: fcntl(fd, F_OFD_SETLKW, {F_WRLCK, SEEK_SET, 0, 0})
func lockFile(fd int, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
		done <- unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLKW, &lk)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("held by another process for %v", timeout)
	}
}

// preadFull reads len(b) bytes of fd from its start, or to its end.
func preadFull(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Pread(fd, b[n:], int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}
