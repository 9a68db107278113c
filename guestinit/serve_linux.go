package guestinit

import (
	"errors"
	"log/slog"
	"net"
	"os"
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

// handler serves one request on its connection.
type handler func(c *net.UnixConn, req *protocol.Request, sp *spawner, log *slog.Logger)

// handlers are the requests the init serves, by operation.
var handlers = map[string]handler{
	protocol.OpSpawn:    serveSpawn,
	protocol.OpDial:     serveDial,
	protocol.OpListen:   serveListen,
	protocol.OpSessions: serveSessions,
	protocol.OpReattach: serveReattach,
}

// serveConn answers one connection: a spawn followed by signals until the
// process ends, a dial, a listen or new view mounts. A panic fails the request, with an
// error for the daemon and the stack in the init's log.
func serveConn(c *net.UnixConn, sp *spawner, log *slog.Logger) {
	defer c.Close()
	defer handlePanic(log, "serving a request", func(err error) {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
	})
	var req protocol.Request
	fds, err := protocol.RecvMessageFDs(c, &req, protocol.MaxViewFiles)
	if err == nil && req.Op == protocol.OpView {
		serveView(c, &req, fds, log)
		return
	}
	protocol.CloseAll(fds)
	if err != nil {
		log.Warn("guest init: bad request", "err", err)
		return
	}
	h, ok := handlers[req.Op]
	if !ok {
		protocol.SendMessage(c, protocol.Reply{Error: "unknown operation " + req.Op})
		return
	}
	h(c, &req, sp, log)
}

// serveSpawn starts the process, hands its files over, then relays signals to
// it and reports its exit.
func serveSpawn(c *net.UnixConn, req *protocol.Request, sp *spawner, log *slog.Logger) {
	if req.Spawn == nil {
		protocol.SendMessage(c, protocol.Reply{Error: "spawn request without a process"})
		return
	}
	p, err := sp.spawn(req.Spawn)
	if err != nil {
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	kp := kept.add(c, req.Spawn, p) // its exit waits for the hand-over
	err = protocol.SendMessage(c, protocol.Reply{Pid: p.pid}, fileDescriptors(p.files)...)
	closeFiles(p.files)
	if kp != nil {
		kp.send.Unlock()
		if err != nil {
			log.Warn("guest init: handing over a kept process", "pid", p.pid, "err", err)
		}
		kept.serve(c, kp, log)
		return
	}
	if err != nil {
		log.Warn("guest init: handing over a process", "pid", p.pid, "err", err)
		return
	}
	go relaySignals(c, p.pid, log)
	st := <-p.exit
	protocol.SendMessage(c, protocol.Reply{Exit: &st})
}

// relaySignals sends the signals the daemon asks for to pid, until the
// connection closes.
func relaySignals(c *net.UnixConn, pid int, log *slog.Logger) {
	defer handlePanic(log, "relaying signals", nil)
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
