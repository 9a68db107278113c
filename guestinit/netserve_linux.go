package guestinit

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"vmhost/protocol"
)

// serveDial connects from inside the guest and hands the connection over.
func serveDial(c *net.UnixConn, req *protocol.Request) {
	if err := checkNetwork(req.Network); err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	conn, err := net.DialTimeout(req.Network, req.Address, protocol.DialTimeout)
	if err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	defer conn.Close()
	handOverFile(c, conn.(syscall.Conn))
}

// serveListen listens inside the guest and hands the listener over. A unix
// socket's missing directories are made private to the guest's root.
func serveListen(c *net.UnixConn, req *protocol.Request) {
	if err := checkNetwork(req.Network); err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	if req.Network == "unix" {
		if err := os.MkdirAll(filepath.Dir(req.Address), 0o700); err != nil {
			protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
			return
		}
	}
	ln, err := net.Listen(req.Network, req.Address)
	if err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	defer ln.Close()
	handOverFile(c, ln.(syscall.Conn))
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
