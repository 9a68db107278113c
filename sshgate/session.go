package sshgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"
	"vmhost/protocol"
	vmsession "vmhost/session"

	"golang.org/x/crypto/ssh"

	"vmhost/guest"
)

// errClientClosed is a session's cause when the client closed the channel
// before the process ended.
var errClientClosed = errors.New("client closed the channel")

// session is one session channel: the requests that set it up, then at most
// one process, started by a shell or exec request.
type session struct {
	conn   *conn
	ch     ssh.Channel
	meter  *meteredChannel // ch, counting its bytes
	files  *sftpAudit      // follows the files of an sftp session; nil for others
	ctx    context.Context
	cancel context.CancelCauseFunc
	log    *slog.Logger
	done   chan struct{} // closed when the session's process is over
	ended  sync.Once

	mu       sync.Mutex
	tty      *guest.TTY          // from pty-req; nil for pipes
	resized  bool                // window-change since the spawn request was made
	env      []string            // accepted "env" requests, as KEY=value
	started  bool                // a shell, exec or subsystem request was accepted
	kind     string              // "shell", "exec" or the subsystem's name
	agent    string              // SSH_AUTH_SOCK, when agent forwarding was asked for
	original string              // the client's command, under a forced command
	command  string              // the shell command of an exec (or forced) session
	att      *vmsession.Attached // the process, once started; nil for a kept one
	closeOne sync.Once

	keep       bool                  // the process is to be kept (guest.SpawnRequest.Keep)
	kept       *vmsession.Kept       // the kept session attached to, if any
	attachment *vmsession.Attachment // the client's attachment to kept
}

// serveSession accepts a session channel and answers its requests until the
// channel closes.
func (c *conn) serveSession(nch ssh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		c.log.Info("accepting session channel", "err", err)
		return
	}
	mc := c.meter(ch)
	s := &session{conn: c, ch: mc, meter: mc, log: c.log, done: make(chan struct{})}
	c.srv.metrics.SessionOpened(s.guestID())
	defer c.srv.metrics.SessionClosed(s.guestID())
	s.ctx, s.cancel = context.WithCancelCause(c.ctx)
	for req := range reqs {
		c.guard("session request", func() { s.handle(req) })()
	}
	s.channelClosed()
}

// channelClosed ends a session whose channel is closed. When the client
// closed it before the process ended, the process's files are released but
// the process is not killed: it may be nohup'ed, and a terminal's hangup is
// its SIGHUP.
func (s *session) channelClosed() {
	select {
	case <-s.done:
		return // the process ended and the channel was closed after it
	default:
	}
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		s.ch.Close()
		s.cancel(errors.New("channel closed before a command was run"))
		return
	}
	s.cancel(errClientClosed)
	s.closeProcess()
	s.detach()
}

// detach detaches the client from the kept session it is attached to, if
// any: the session goes on.
func (s *session) detach() {
	s.mu.Lock()
	a := s.attachment
	s.mu.Unlock()
	if a != nil {
		a.Detach()
	}
}

// begin opens the guest and starts argv in it (the login shell when login is
// set). It returns what serves the session once the request that asked for it
// has been answered: the process's I/O, or the error report.
func (s *session) begin(argv []string, login bool, command string) func() {
	start := time.Now()
	att, audit, failed := s.startProcess(argv, login, command)
	if failed != nil {
		return failed
	}
	audit.Info("session", "outcome", "started", "tty", att.TTY())
	if s.kind == subsystemSFTP {
		s.files = newSFTPAudit(s.conn.audit)
		s.files.count = s.conn.srv.metrics.SFTP
	}
	return func() { s.serve(att, audit, start) }
}

// startProcess opens the guest and starts argv in it (the login shell
// when login is set), and returns it with the session's audit log; or, if
// it could not start, what reports that to the client.
func (s *session) startProcess(argv []string, login bool, command string) (*vmsession.Attached, *slog.Logger, func()) {
	audit := s.conn.audit.With("kind", s.kind)
	if command != "" {
		audit = audit.With("command", command)
	}
	att, err := s.spawn(argv, login)
	if err != nil {
		s.conn.srv.metrics.Error(ErrorSessionStart)
		s.conn.srv.failures.log(audit, s.conn.source, "session", "outcome", "refused", "err", err.Error())
		return nil, nil, func() { s.fail(err) }
	}
	s.conn.loggedIn()
	return att, audit, nil
}

// serve runs the session of a started process until it ends.
func (s *session) serve(att *vmsession.Attached, audit *slog.Logger, start time.Time) {
	defer s.end(errors.New("session ended"))
	status, err := s.pump(att)
	if err != nil {
		s.log.Warn("waiting for process", "err", err)
	}
	if s.files != nil {
		s.files.finish()
	}
	s.finish(status, err)
	audit.Info("session ended", "outcome", describe(status), "cause", context.Cause(s.ctx).Error(),
		"bytes_in", s.meter.in.Load(), "bytes_out", s.meter.out.Load(),
		"duration", time.Since(start).Round(time.Millisecond))
}

// spawn opens the guest and starts the process in it.
func (s *session) spawn(argv []string, login bool) (*vmsession.Attached, error) {
	g, err := s.conn.openGuest(s.progressContext())
	if err != nil {
		return nil, err
	}
	req := s.spawnRequest(argv, login, guestAddr(g))
	proc, err := g.Spawn(s.ctx, req)
	if err == nil {
		if err = checkProcess(proc, req.TTY != nil); err != nil && proc != nil {
			proc.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("starting %s in guest %s: %w", what(req), s.conn.guest, err)
	}
	att, err := s.attach(proc)
	if err != nil {
		proc.Close()
		return nil, err
	}
	return att, nil
}

// what names the process of req for messages.
func what(req guest.SpawnRequest) string {
	if req.Subsystem != "" {
		return "the " + req.Subsystem + " subsystem"
	}
	if len(req.Argv) == 0 && req.Command == "" {
		return "the login shell"
	}
	return "the command"
}

// guestAddr returns the IPv4 address of g, the zero Addr when it has none
// or does not tell.
func guestAddr(g Guest) netip.Addr {
	if a, ok := g.(interface{ IPv4() netip.Addr }); ok {
		return a.IPv4()
	}
	return netip.Addr{}
}

// spawnRequest builds the request for the process from the session's state.
func (s *session) spawnRequest(argv []string, login bool, addr netip.Addr) guest.SpawnRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := guest.SpawnRequest{Argv: argv, Login: login, Command: s.command, Env: s.environ(addr)}
	if s.kind == subsystemSFTP {
		req.Subsystem = subsystemSFTP
		req.Env = append(req.Env, protocol.SFTPClientVersionEnv+"="+printableASCII(string(s.conn.sc.ClientVersion())),
			protocol.SFTPLoginEnv+"="+s.conn.owner)
		return req
	}
	if s.tty != nil {
		tty := *s.tty
		req.TTY = &tty
		req.Keep = s.keep
		if s.keep {
			req.KeepFor = int64(s.conn.srv.sessions.Table.Bounds().DetachTimeout / time.Second)
		}
		s.resized = false
	}
	return req
}

// attach makes proc the session's process, through the session layer; with
// a terminal it also applies a window size that changed while the process
// was starting.
func (s *session) attach(proc guest.Process) (*vmsession.Attached, error) {
	att, err := vmsession.Attach(proc)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.att = att
	if s.resized && att.TTY() {
		s.resize()
	}
	return att, nil
}

// end marks the session's process as over, for cause, before the channel is
// closed.
func (s *session) end(cause error) {
	s.cancel(cause)
	s.ended.Do(func() { close(s.done) })
}

// closeProcess releases the process's files and the session's copy of its
// terminal, once.
func (s *session) closeProcess() {
	s.mu.Lock()
	att := s.att
	s.mu.Unlock()
	if att == nil {
		return
	}
	s.closeOne.Do(func() { att.Close() })
}
