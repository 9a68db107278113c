package guestinit

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/protocol"
)

// keptTable holds the terminal sessions the init keeps for the daemon
// (SpawnRequest.Keep): a copy of each one's terminal, so that its process
// outlives the daemon's connection, a daemon restart included, and is
// handed over again on a new one (OpReattach). While no connection holds a
// session, nobody reads its terminal: a program writing much blocks until
// the daemon is back.
type keptTable struct {
	mu   sync.Mutex
	next uint64
	byID map[uint64]*keptProc
}

// keptProc is one kept session.
type keptProc struct {
	id       uint64
	pid      int
	command  string
	started  time.Time
	master   *os.File      // the init's copy of the terminal; nil once hung up
	conn     *net.UnixConn // the daemon's connection holding it; nil while detached
	detached time.Time     // since when no connection holds it
	keepFor  time.Duration // how long it is kept detached; 0: until a daemon hangs it up
	send     sync.Mutex    // orders the hand-over and the exit on a connection
	ended    chan struct{} // closed once the exit is told (or nobody was there)
}

// kept is the init's table.
var kept = &keptTable{byID: make(map[uint64]*keptProc)}

// add keeps the process p started for req on connection c, or returns nil
// when it cannot be kept (no terminal, the table full); then it is served
// as any other. A kept process's send lock is held: its exit is not told
// before the caller has handed it over and unlocked it.
func (t *keptTable) add(c *net.UnixConn, req *protocol.SpawnRequest, p *spawned) *keptProc {
	if !req.Keep || req.TTY == nil || len(p.files) != 1 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byID) >= protocol.MaxKept {
		return nil
	}
	master, err := dupFile(p.files[0])
	if err != nil {
		return nil
	}
	t.next++
	kp := &keptProc{id: t.next, pid: p.pid, command: req.Command, started: time.Now(), master: master, conn: c, ended: make(chan struct{}),
		keepFor: time.Duration(max(req.KeepFor, 0)) * time.Second}
	t.byID[kp.id] = kp
	kp.send.Lock() // until the caller has handed the process over
	go t.await(kp, p.exit)
	return kp
}

// dupFile duplicates f.
// Equivalent to: fcntl(F_DUPFD_CLOEXEC)
func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// await tells the connection holding kp, if any, that its process ended,
// and forgets it.
func (t *keptTable) await(kp *keptProc, exit <-chan protocol.ExitStatus) {
	st := <-exit
	t.mu.Lock()
	delete(t.byID, kp.id)
	conn := kp.conn
	t.hangUpLocked(kp)
	t.mu.Unlock()
	kp.send.Lock()
	if conn != nil {
		protocol.SendMessage(conn, protocol.Reply{Exit: &st})
	}
	kp.send.Unlock()
	close(kp.ended)
}

// hangUpLocked closes the init's copy of kp's terminal. t.mu is held.
func (t *keptTable) hangUpLocked(kp *keptProc) {
	if kp.master != nil {
		kp.master.Close()
		kp.master = nil
	}
}

// serve relays the daemon's signals (and a hang-up) on c to kp until c
// closes, then lets kp go on detached; or until kp's process ended and
// that was told on c.
func (t *keptTable) serve(c *net.UnixConn, kp *keptProc, log *slog.Logger) {
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		t.relay(c, kp, log)
	}()
	select {
	case <-kp.ended:
	case <-closed:
		t.mu.Lock()
		if kp.conn == c {
			kp.conn, kp.detached = nil, time.Now()
			t.expireLater(kp, kp.detached)
		}
		t.mu.Unlock()
	}
}

// expireLater hangs kp up once it has been detached since since for its
// keepFor, unless a connection took it over meanwhile: a session the
// daemon kept is not kept for ever when no daemon comes back to time it
// out, or none takes it over. t.mu is held.
func (t *keptTable) expireLater(kp *keptProc, since time.Time) {
	if kp.keepFor <= 0 {
		return
	}
	time.AfterFunc(kp.keepFor, func() {
		t.mu.Lock()
		expired := kp.conn == nil && kp.detached.Equal(since) && kp.master != nil
		if expired {
			t.hangUpLocked(kp)
		}
		t.mu.Unlock()
		if expired {
			unix.Kill(kp.pid, unix.SIGHUP)
		}
	})
}

// relay serves the requests on a kept process's connection: signals, and
// the hang-up that drops the init's copy of its terminal.
func (t *keptTable) relay(c *net.UnixConn, kp *keptProc, log *slog.Logger) {
	defer handlePanic(log, "relaying signals", nil)
	for {
		var req protocol.Request
		fds, err := protocol.RecvMessage(c, &req)
		protocol.CloseAll(fds)
		if err != nil && !errors.Is(err, protocol.ErrMessageTooLarge) {
			return
		}
		switch {
		case req.Op == protocol.OpSignal && req.Signal > 0 && req.Signal < 65:
			unix.Kill(kp.pid, syscall.Signal(req.Signal))
		case req.Op == protocol.OpHangUp:
			t.mu.Lock()
			t.hangUpLocked(kp)
			t.mu.Unlock()
			unix.Kill(kp.pid, unix.SIGHUP)
		}
	}
}

// reattach hands kept session id over on c: its pid and a copy of its
// terminal, as a spawn's answer, then serves it there.
func (t *keptTable) reattach(c *net.UnixConn, id uint64, log *slog.Logger) {
	t.mu.Lock()
	kp := t.byID[id]
	if kp == nil || kp.conn != nil || kp.master == nil {
		t.mu.Unlock()
		protocol.SendMessage(c, protocol.Reply{Error: "no such detached session"})
		return
	}
	kp.send.Lock()
	kp.conn = c
	master, err := dupFile(kp.master)
	t.mu.Unlock()
	if err == nil {
		err = protocol.SendMessage(c, protocol.Reply{Pid: kp.pid}, int(master.Fd()))
		master.Close()
	}
	kp.send.Unlock()
	if err != nil {
		log.Warn("guest init: handing over a kept session", "pid", kp.pid, "err", err)
	}
	t.serve(c, kp, log)
}

// list describes the kept sessions, oldest first.
func (t *keptTable) list() []protocol.KeptSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]protocol.KeptSession, 0, len(t.byID))
	for _, kp := range t.byID {
		if kp.master == nil { // hung up, its process not ended yet: nothing to hand over
			continue
		}
		s := protocol.KeptSession{ID: kp.id, Pid: kp.pid, Command: kp.command, Started: kp.started.Unix()}
		if kp.conn == nil {
			s.Detached = kp.detached.Unix()
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b protocol.KeptSession) int { return int(a.ID) - int(b.ID) })
	return out
}

// serveSessions answers OpSessions.
func serveSessions(c *net.UnixConn, req *protocol.Request, sp *spawner, log *slog.Logger) {
	protocol.SendMessage(c, protocol.Reply{Sessions: kept.list()})
}

// serveReattach answers OpReattach.
func serveReattach(c *net.UnixConn, req *protocol.Request, sp *spawner, log *slog.Logger) {
	kept.reattach(c, req.Session, log)
}
