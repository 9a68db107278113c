package syscallfilter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Listener receives the calls the filter of InstallThreadNotify hands over,
// and answers them. Its methods may be called from any goroutine; Receive
// waits in Go's poller, not on a thread of its own.
type Listener struct {
	file     *os.File
	conn     syscall.RawConn
	notifLen int // the kernel's struct seccomp_notif
	respLen  int // the kernel's struct seccomp_notif_resp
}

// Notification is one call a guest process made and waits on.
type Notification struct {
	ID   uint64 // the kernel's cookie for the call
	Pid  int    // the caller, in the listener's pid namespace
	Arch uint32 // the caller's audit architecture
	Nr   int32  // the call's number on that architecture
	Args [6]uint64
}

// Layout of struct seccomp_notif and seccomp_notif_resp (little-endian).
const (
	notifLen     = 80 // id, pid, flags, struct seccomp_data
	respLen      = 24 // id, val, error, flags
	getNotifSize = 3  // SECCOMP_GET_NOTIF_SIZES
)

// newListener wraps the listener fd, non-blocking, in Go's poller.
func newListener(fd int) (*Listener, error) {
	var sizes struct{ notif, resp, data uint16 }
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, getNotifSize, 0, uintptr(unsafe.Pointer(&sizes))); errno != 0 {
		return nil, fmt.Errorf("asking the sizes of seccomp notifications: %w", errno)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, fmt.Errorf("making the seccomp listener non-blocking: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-listener")
	conn, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("polling the seccomp listener: %w", err)
	}
	return &Listener{file: f, conn: conn, notifLen: max(int(sizes.notif), notifLen), respLen: max(int(sizes.resp), respLen)}, nil
}

// Close closes the listener: calls waiting on it and later ones fail with
// ENOSYS.
func (l *Listener) Close() error { return l.file.Close() }

// Receive waits for the next call.
// Equivalent to: ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &notif) once poll
// says one is there.
func (l *Listener) Receive() (Notification, error) {
	buf := make([]byte, l.notifLen)
	var err error
	rerr := l.conn.Read(func(fd uintptr) bool {
		clear(buf)
		err = receiveReady(fd, buf)
		return !errors.Is(err, unix.EAGAIN)
	})
	if rerr != nil {
		return Notification{}, fmt.Errorf("waiting on the seccomp listener: %w", rerr)
	}
	if err != nil {
		return Notification{}, fmt.Errorf("receiving a seccomp notification: %w", err)
	}
	return decodeNotif(buf), nil
}

// receiveReady receives a notification into buf if one is waiting, and
// fails with EAGAIN otherwise: the ioctl itself would block.
func receiveReady(fd uintptr, buf []byte) error {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	if err != nil && err != unix.EINTR {
		return err
	}
	if n == 0 || err != nil {
		return unix.EAGAIN
	}
	if pfd[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 && pfd[0].Revents&unix.POLLIN == 0 {
		return unix.EPIPE // no filtered process is left
	}
	return ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&buf[0]))
}

// decodeNotif reads struct seccomp_notif.
func decodeNotif(b []byte) Notification {
	le := binary.LittleEndian
	n := Notification{ID: le.Uint64(b[0:]), Pid: int(le.Uint32(b[8:])), Nr: int32(le.Uint32(b[16:])), Arch: le.Uint32(b[20:])}
	for i := range n.Args {
		n.Args[i] = le.Uint64(b[32+8*i:])
	}
	return n
}

// Valid reports whether the call id still waits: its caller has not
// ended, nor been interrupted. Ask it after opening a handle on the caller
// (its /proc/PID/mem) to know the handle is the caller's and not that of a
// process that took its pid.
// Equivalent to: ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0
func (l *Listener) Valid(id uint64) bool {
	return l.control(func(fd uintptr) error {
		return ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id))
	}) == nil
}

// Return answers the call id: it returns val to its caller.
func (l *Listener) Return(id uint64, val int64) error {
	return l.send(id, val, 0, 0)
}

// Fail answers the call id: it fails with errno.
func (l *Listener) Fail(id uint64, errno unix.Errno) error {
	return l.send(id, 0, -int32(errno), 0)
}

// Continue lets the call id run in the kernel as if no filter had stopped
// it (SECCOMP_USER_NOTIF_FLAG_CONTINUE, Linux 5.5).
func (l *Listener) Continue(id uint64) error {
	return l.send(id, 0, 0, unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE)
}

// send answers the call id.
// Equivalent to: ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp)
func (l *Listener) send(id uint64, val int64, errno int32, flags uint32) error {
	b := make([]byte, l.respLen)
	le := binary.LittleEndian
	le.PutUint64(b[0:], id)
	le.PutUint64(b[8:], uint64(val))
	le.PutUint32(b[16:], uint32(errno))
	le.PutUint32(b[20:], flags)
	err := l.control(func(fd uintptr) error {
		return ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&b[0]))
	})
	if err != nil {
		return fmt.Errorf("answering seccomp notification %d: %w", id, err)
	}
	return nil
}

// control runs f on the listener's descriptor.
func (l *Listener) control(f func(fd uintptr) error) error {
	var err error
	if cerr := l.conn.Control(func(fd uintptr) { err = f(fd) }); cerr != nil {
		return cerr
	}
	return err
}

// ioctlPtr is ioctl(fd, req, arg).
func ioctlPtr(fd uintptr, req uint, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}
