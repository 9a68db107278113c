package guestinit

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// RunNetHelper dials or listens for the init where the guest's files are
// involved (see touchesGuestFiles), names the socket for the init to take
// and exits once it has: a symlink loop, a FIFO where /etc/hosts should be
// or a path too deep costs this short-lived process, never PID 1. It never
// returns.
func RunNetHelper() {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0) // as RunIncubator
	p, err := openInitPipes(netHelperTimeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", protocol.NetHelperName, err)
		os.Exit(1)
	}
	req, err := p.request()
	if err == nil {
		err = checkNetwork(req.Network)
	}
	var sc syscall.Conn
	if err == nil {
		sc, err = openNetSocket(&req)
	}
	if err == nil {
		err = handSocket(p, sc)
	}
	if err == nil {
		os.Exit(0)
	}
	p.fail(err, 1)
}

// openNetSocket dials or listens as req says.
func openNetSocket(req *protocol.Request) (syscall.Conn, error) {
	switch req.Op {
	case protocol.OpDial:
		return dialSocket(req)
	case protocol.OpListen:
		return listenSocket(req)
	}
	return nil, errors.New("the net helper got no dial or listen")
}

// handSocket names the socket of sc for the init and waits until it has
// taken it.
func handSocket(p *initPipes, sc syscall.Conn) error {
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var handErr error
	err = raw.Control(func(fd uintptr) {
		if handErr = p.answer(helperReply{FDs: []int{int(fd)}}); handErr == nil {
			handErr = p.waitTaken()
		}
	})
	return errors.Join(err, handErr)
}
