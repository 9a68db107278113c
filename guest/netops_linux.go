package guest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
	"vmhost/protocol"
)

// dialVia asks the init listening on sock to connect from inside the guest.
func dialVia(ctx context.Context, sock, network, address string) (net.Conn, error) {
	f, err := askForSocket(ctx, sock, protocol.Request{Op: protocol.OpDial, Network: network, Address: address}, false)
	if err != nil {
		return nil, fmt.Errorf("dialing %s %s in the guest: %w", network, address, err)
	}
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("dialing %s %s in the guest: %w", network, address, err)
	}
	return c, nil
}

// listenVia asks the init listening on sock to listen inside the guest.
func listenVia(ctx context.Context, sock, network, address string) (net.Listener, error) {
	f, err := askForSocket(ctx, sock, protocol.Request{Op: protocol.OpListen, Network: network, Address: address}, true)
	if err != nil {
		return nil, fmt.Errorf("listening on %s %s in the guest: %w", network, address, err)
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listening on %s %s in the guest: %w", network, address, err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		// The path is in the guest's files, out of the daemon's reach.
		ul.SetUnlinkOnClose(false)
	}
	return ln, nil
}

// askForSocket sends req to the init and returns the one socket it answers
// with, checked to be a stream socket of req's network, listening or not as
// asked.
func askForSocket(ctx context.Context, sock string, req protocol.Request, listening bool) (*os.File, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "unixpacket", sock)
	if err != nil {
		return nil, fmt.Errorf("reaching the guest's init: %w", err)
	}
	defer nc.Close()
	c := nc.(*net.UnixConn)
	c.SetDeadline(time.Now().Add(dialTimeout + protocol.DialTimeout))
	if err := protocol.SendMessage(c, req); err != nil {
		return nil, err
	}
	var rep protocol.Reply
	fds, err := protocol.RecvMessage(c, &rep)
	if err == nil && rep.Error != "" {
		err = errors.New(guestText(rep.Error))
	}
	if err == nil && len(fds) != 1 {
		err = fmt.Errorf("guest init handed over %d files, want 1", len(fds))
	}
	if err == nil {
		err = checkSocket(fds[0], req.Network, listening)
	}
	if err != nil {
		protocol.CloseAll(fds)
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), "guest-socket"), nil
}
