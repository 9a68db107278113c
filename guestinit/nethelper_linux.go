package guestinit

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"vmhost/protocol"
)

// RunNetHelper dials or listens for the init where the guest's files are
// involved (see touchesGuestFiles), hands the socket to the init and exits:
// a symlink loop, a FIFO where /etc/hosts should be or a path too deep
// costs this short-lived process, never PID 1. It never returns.
func RunNetHelper() {
	c, err := protocol.FileConn(helperFD)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", protocol.NetHelperName, err)
		os.Exit(1)
	}
	c.SetDeadline(time.Now().Add(netHelperTimeout))
	var req protocol.Request
	fds, err := protocol.RecvMessage(c, &req)
	protocol.CloseAll(fds)
	if err == nil {
		err = checkNetwork(req.Network)
	}
	open := map[string]func(*protocol.Request) (syscall.Conn, error){protocol.OpDial: dialSocket, protocol.OpListen: listenSocket}[req.Op]
	if err == nil && open == nil {
		err = errors.New("the net helper got no dial or listen")
	}
	if err == nil {
		var sc syscall.Conn
		if sc, err = open(&req); err == nil {
			handOverFile(c, sc)
			os.Exit(0)
		}
	}
	protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
	os.Exit(1)
}
