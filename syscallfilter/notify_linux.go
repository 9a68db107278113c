package syscallfilter

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrNoNotify is wrapped by InstallThreadNotify's error when the kernel
// cannot hand calls to a listener: the plain filter is installed then.
var ErrNoNotify = errors.New("no seccomp user notification")

// InstallThreadNotify installs the filter of NotifyProgram as InstallThread
// does, and returns its listener: a call of NotifiedCall then waits in the
// guest process that made it until the listener answers. Serve the listener
// from threads that do not carry the filter: a filtered thread that made
// such a call would wait for itself. Where the kernel cannot (no user
// notification, or no SECCOMP_USER_NOTIF_FLAG_CONTINUE, before Linux 5.5;
// or a listener in an ancestor's filter, as for a guest's init inside a
// guest) it installs InstallThread's filter and fails with ErrNoNotify.
// Equivalent to: seccomp(SECCOMP_SET_MODE_FILTER,
// SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)
func InstallThreadNotify() (*Listener, error) {
	if err := notifyAvailable(); err != nil {
		return nil, plainInstead(err)
	}
	raw, err := NotifyProgram()
	if err != nil {
		return nil, err
	}
	fd, errno := setFilter(raw, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
	switch {
	case errno == unix.EBUSY:
		return nil, plainInstead(fmt.Errorf("%w: a filter of an ancestor has a listener already (%w)", ErrNoNotify, errno))
	case errno != 0:
		return nil, fmt.Errorf("installing the guest seccomp filter with a listener on thread %d (needs CAP_SYS_ADMIN in its user namespace): %w", unix.Gettid(), errno)
	}
	l, err := newListener(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return l, nil
}

// plainInstead installs InstallThread's filter and returns why, which
// wraps ErrNoNotify, or InstallThread's error if it fails.
func plainInstead(why error) error {
	if err := InstallThread(); err != nil {
		return err
	}
	return why
}

// notifyAvailable says why the kernel cannot hand calls to a listener, or
// nil when it can.
// Equivalent to: seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &SECCOMP_RET_USER_NOTIF)
func notifyAvailable() error {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return fmt.Errorf("%w: reading the kernel's release: %w", ErrNoNotify, err)
	}
	if release := unix.ByteSliceToString(u.Release[:]); !releaseAtLeast(release, continueSince) {
		return fmt.Errorf("%w: Linux %s cannot let a notified call run (SECCOMP_USER_NOTIF_FLAG_CONTINUE, 5.5)", ErrNoNotify, release)
	}
	action := uint32(retUserNotif)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	if errno != 0 {
		return fmt.Errorf("%w on this kernel (%w)", ErrNoNotify, errno)
	}
	return nil
}
