package sshgate

import (
	"syscall"

	"golang.org/x/crypto/ssh"
)

// handle answers one session request. A shell or exec request is answered
// once its process has started (or failed to), as OpenSSH does, and before
// any output or exit status is sent.
func (s *session) handle(req *ssh.Request) {
	ok, run := s.dispatch(req)
	if req.WantReply {
		req.Reply(ok, nil)
	}
	if run != nil {
		s.conn.goSafe("session", run)
	}
}

// dispatch handles req, returning the answer and, for an accepted shell or
// exec, what serves the session afterwards.
func (s *session) dispatch(req *ssh.Request) (ok bool, run func()) {
	switch req.Type {
	case "pty-req":
		return s.ptyReq(req.Payload), nil
	case "env":
		return s.setEnv(req.Payload), nil
	case "window-change":
		return s.windowChange(req.Payload), nil
	case "signal":
		return s.signal(req.Payload), nil
	case "shell":
		return s.shell()
	case "exec":
		return s.exec(req.Payload)
	case "subsystem":
		return s.subsystem(req.Payload)
	case "auth-agent-req@openssh.com":
		return s.agentRequest(), nil
	default:
		s.log.Debug("refusing session request", "type", req.Type)
		return false, nil
	}
}

// ptyReq records the terminal asked for; at most one, before the process.
func (s *session) ptyReq(payload []byte) bool {
	if s.conn.grant.NoPTY {
		s.conn.refused("session", "kind", "pty", "outcome", "refused", "reason", "the key does not allow a terminal (no-pty)")
		return false
	}
	tty, err := parsePTYReq(payload)
	if err != nil {
		s.log.Info("refusing pty-req", "err", err)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty != nil || s.started {
		return false
	}
	s.tty = tty
	return true
}

// setEnv records an environment variable the client passes, if accepted.
func (s *session) setEnv(payload []byte) bool {
	var m struct{ Name, Value string }
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || !acceptEnv(m.Name, m.Value) || len(s.env) >= maxClientEnv {
		s.log.Debug("refusing env", "name", m.Name)
		return false
	}
	s.env = append(s.env, m.Name+"="+m.Value)
	return true
}

// windowChange resizes the process's terminal, or remembers the size for a
// process still starting.
func (s *session) windowChange(payload []byte) bool {
	rows, cols, err := parseWindowChange(payload)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty == nil {
		return false
	}
	s.tty.Rows, s.tty.Cols = rows, cols
	if s.kept != nil {
		return s.kept.Resize(rows, cols) == nil
	}
	if s.att == nil {
		s.resized = true
		return true
	}
	return s.resize() == nil
}

// resize sets the terminal's size to the session's; s.mu must be held.
func (s *session) resize() error {
	err := s.att.Resize(s.tty.Rows, s.tty.Cols)
	if err != nil {
		s.log.Debug("resizing terminal", "err", err)
	}
	return err
}

// signal sends a signal the client names to the running process.
func (s *session) signal(payload []byte) bool {
	var m struct{ Name string }
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return false
	}
	sig, ok := signalByName(m.Name)
	s.mu.Lock()
	var target interface{ Signal(syscall.Signal) error }
	if s.att != nil {
		target = s.att
	} else if s.kept != nil {
		target = s.kept
	}
	s.mu.Unlock()
	if !ok || target == nil {
		return false
	}
	if err := target.Signal(sig); err != nil {
		s.log.Debug("signalling process", "signal", m.Name, "err", err)
		return false
	}
	return true
}

// subsystemSFTP is the one subsystem served: SFTP, inside the guest.
const subsystemSFTP = "sftp"

// shell accepts a request for the guest's root login shell.
func (s *session) shell() (bool, func()) {
	if !s.markStarted("shell") {
		return false, nil
	}
	if s.conn.grant.Command != "" {
		return true, s.beginForced("")
	}
	if s.keeps() {
		if run := s.reattach(); run != nil {
			return true, run
		}
		return true, s.beginKept(nil, true, "")
	}
	return true, s.begin(nil, true, "")
}

// exec accepts a request to run a command through /bin/sh -c.
func (s *session) exec(payload []byte) (bool, func()) {
	var m struct{ Command string }
	if err := ssh.Unmarshal(payload, &m); err != nil || !s.markStarted("exec") {
		return false, nil
	}
	if s.conn.grant.Command != "" {
		return true, s.beginForced(m.Command)
	}
	if run, ok := s.labCommand(m.Command); ok { // with a terminal or not: see labcmd.go
		return true, run
	}
	if run, ok := s.teacherCommand(m.Command); ok {
		return true, run
	}
	if run, ok := s.webCommand(m.Command); ok {
		return true, run
	}
	if s.keeps() && !isMoshServer(m.Command) { // mosh keeps its own session, and its port is found in pump
		if run, ok := s.reserved(m.Command); ok {
			return true, run
		}
		s.setCommand(m.Command)
		return true, s.beginKept(nil, false, m.Command)
	}
	s.setCommand(m.Command)
	return true, s.begin(nil, false, m.Command)
}

// subsystem accepts a request for the sftp subsystem, served inside the
// guest by vmhost's own SFTP server, so that sftp and scp work on any image.
func (s *session) subsystem(payload []byte) (bool, func()) {
	var m struct{ Name string }
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return false, nil
	}
	if m.Name != subsystemSFTP {
		s.conn.refused("session", "kind", m.Name, "outcome", "refused", "reason", "unknown subsystem")
		return false, nil
	}
	if !s.markStarted(subsystemSFTP) {
		return false, nil
	}
	if fc := s.conn.grant.Command; fc != "" && fc != internalSFTP {
		s.setKind("exec")
		return true, s.beginForced(m.Name)
	}
	return true, s.begin(nil, false, "")
}

// markStarted records that the session's one process, of kind, is being
// started; it reports false when one already was.
func (s *session) markStarted(kind string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return false
	}
	s.started, s.kind = true, kind
	return true
}
