package guestinit

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
	"vmhost/protocol"
)

// netHelperTimeout bounds how long the init waits for a net helper: its
// own dial may take protocol.DialTimeout.
const netHelperTimeout = protocol.DialTimeout + 3*time.Second

// serveDial connects from inside the guest and hands the connection over.
func serveDial(c *net.UnixConn, req *protocol.Request, sp *spawner, _ *slog.Logger) {
	serveSocket(c, req, sp, dialSocket)
}

// serveListen listens inside the guest and hands the listener over.
func serveListen(c *net.UnixConn, req *protocol.Request, sp *spawner, _ *slog.Logger) {
	serveSocket(c, req, sp, listenSocket)
}

// serveSocket makes the socket req asks for with open and hands it over. A
// request that involves the guest's files (a unix socket's path, a host
// name to look up in /etc/hosts) is done by a net helper child
// (RunNetHelper), so that PID 1 never touches them; a numeric TCP address
// is done here, as fast as a forward needs.
func serveSocket(c *net.UnixConn, req *protocol.Request, sp *spawner, open func(*protocol.Request) (syscall.Conn, error)) {
	if err := checkNetwork(req.Network); err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	if touchesGuestFiles(req) {
		fd, err := socketFromHelper(sp, req)
		if err != nil {
			protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
			return
		}
		defer syscall.Close(fd)
		if err := protocol.SendMessage(c, protocol.Reply{}, fd); err != nil {
			protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		}
		return
	}
	sc, err := open(req)
	if err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	defer sc.(interface{ Close() error }).Close()
	handOverFile(c, sc)
}

// socketFromHelper has a net helper make the socket of req, and returns it.
func socketFromHelper(sp *spawner, req *protocol.Request) (int, error) {
	h, err := sp.startHelper(protocol.NetHelperName, nil)
	if err != nil {
		return -1, err
	}
	defer h.close()
	fds, _, err := h.ask(*req, 1, netHelperTimeout)
	if err != nil {
		h.kill()
		return -1, err
	}
	return fds[0], nil
}

// dialSocket connects to req's address from inside the guest.
func dialSocket(req *protocol.Request) (syscall.Conn, error) {
	conn, err := net.DialTimeout(req.Network, req.Address, protocol.DialTimeout)
	if err != nil {
		return nil, err
	}
	return conn.(syscall.Conn), nil
}

// listenSocket listens on req's address inside the guest. A unix socket's
// missing directories are made private to the guest's root, and the socket
// stays when the listener is closed: the daemon owns it then.
func listenSocket(req *protocol.Request) (syscall.Conn, error) {
	if req.Network == "unix" {
		if err := os.MkdirAll(filepath.Dir(req.Address), 0o700); err != nil {
			return nil, err
		}
		// Only the guest's root may connect, as sshd's StreamLocalBindMask
		// 0177 has it. The umask is the process's: this runs in the net
		// helper, never in PID 1.
		defer syscall.Umask(syscall.Umask(0o177))
	}
	ln, err := net.Listen(req.Network, req.Address)
	if err != nil {
		return nil, err
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	return ln.(syscall.Conn), nil
}

// checkNetwork allows the networks Dial and Listen support.
func checkNetwork(network string) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return nil
	}
	return fmt.Errorf("network %q is not supported", network)
}

// handOverFile sends the socket of sc to the daemon.
func handOverFile(c *net.UnixConn, sc syscall.Conn) {
	raw, err := sc.SyscallConn()
	if err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	var sendErr error
	err = raw.Control(func(fd uintptr) {
		sendErr = protocol.SendMessage(c, protocol.Reply{}, int(fd))
	})
	if err = errors.Join(err, sendErr); err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
	}
}
