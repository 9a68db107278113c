package guestinit

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"syscall"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// serveControl accepts the daemon's connections on the control socket, each
// served on its own goroutine.
func serveControl(ln *net.UnixListener, sp *spawner, log *slog.Logger) {
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			log.Error("guest init: accepting on the control socket", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go serveConn(c, sp, log)
	}
}

// serveConn answers one connection: a spawn followed by signals until the
// process ends, a dial or a listen.
func serveConn(c *net.UnixConn, sp *spawner, log *slog.Logger) {
	defer c.Close()
	defer func() {
		if r := recover(); r != nil {
			log.Error("guest init: a protocol.Request failed", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	var req protocol.Request
	fds, err := protocol.RecvMessage(c, &req)
	protocol.CloseAll(fds)
	if err != nil {
		log.Warn("guest init: bad request", "err", err)
		return
	}
	switch req.Op {
	case protocol.OpSpawn:
		serveSpawn(c, &req, sp, log)
	case protocol.OpDial:
		serveDial(c, &req)
	case protocol.OpListen:
		serveListen(c, &req)
	default:
		protocol.SendMessage(c, protocol.Reply{Error: "unknown operation " + req.Op})
	}
}

// serveSpawn starts the process, hands its files over, then relays signals to
// it and reports its exit.
func serveSpawn(c *net.UnixConn, req *protocol.Request, sp *spawner, log *slog.Logger) {
	if req.Spawn == nil {
		protocol.SendMessage(c, protocol.Reply{Error: "spawn protocol.Request without a process"})
		return
	}
	p, err := sp.spawn(req.Spawn)
	if err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	err = protocol.SendMessage(c, protocol.Reply{Pid: p.pid}, fileDescriptors(p.files)...)
	closeFiles(p.files)
	if err != nil {
		log.Warn("guest init: handing over a process", "pid", p.pid, "err", err)
		return
	}
	go relaySignals(c, p.pid)
	st := <-p.exit
	protocol.SendMessage(c, protocol.Reply{Exit: &st})
}

// relaySignals sends the signals the daemon asks for to pid, until the
// connection closes.
func relaySignals(c *net.UnixConn, pid int) {
	for {
		var req protocol.Request
		fds, err := protocol.RecvMessage(c, &req)
		protocol.CloseAll(fds)
		if errors.Is(err, protocol.ErrClosed) || errors.Is(err, net.ErrClosed) || err != nil && !errors.Is(err, protocol.ErrMessageTooLarge) {
			return
		}
		if req.Op == protocol.OpSignal && req.Signal > 0 && req.Signal < 65 {
			unix.Kill(pid, syscall.Signal(req.Signal))
		}
	}
}

// fileDescriptors returns the descriptors of fs.
func fileDescriptors(fs []*os.File) []int {
	fds := make([]int, len(fs))
	for i, f := range fs {
		fds[i] = int(f.Fd())
	}
	return fds
}
