package guest

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"syscall"
	"time"

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
			log.Error("guest init: a request failed", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	var req request
	fds, err := recvMessage(c, &req)
	closeAll(fds)
	if err != nil {
		log.Warn("guest init: bad request", "err", err)
		return
	}
	switch req.Op {
	case opSpawn:
		serveSpawn(c, &req, sp, log)
	case opDial:
		serveDial(c, &req)
	case opListen:
		serveListen(c, &req)
	default:
		sendMessage(c, reply{Error: "unknown operation " + req.Op})
	}
}

// serveSpawn starts the process, hands its files over, then relays signals to
// it and reports its exit.
func serveSpawn(c *net.UnixConn, req *request, sp *spawner, log *slog.Logger) {
	if req.Spawn == nil {
		sendMessage(c, reply{Error: "spawn request without a process"})
		return
	}
	p, err := sp.spawn(req.Spawn)
	if err != nil {
		sendMessage(c, reply{Error: err.Error()})
		return
	}
	err = sendMessage(c, reply{Pid: p.pid}, fileDescriptors(p.files)...)
	closeFiles(p.files)
	if err != nil {
		log.Warn("guest init: handing over a process", "pid", p.pid, "err", err)
		return
	}
	go relaySignals(c, p.pid)
	st := <-p.exit
	sendMessage(c, reply{Exit: &st})
}

// relaySignals sends the signals the daemon asks for to pid, until the
// connection closes.
func relaySignals(c *net.UnixConn, pid int) {
	for {
		var req request
		fds, err := recvMessage(c, &req)
		closeAll(fds)
		if errors.Is(err, errClosed) || errors.Is(err, net.ErrClosed) || err != nil && !errors.Is(err, errMessageTooLarge) {
			return
		}
		if req.Op == opSignal && req.Signal > 0 && req.Signal < 65 {
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
