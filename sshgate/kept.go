package sshgate

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"vmhost/config"
	"vmhost/guest"
	vmsession "vmhost/session"
	"vmhost/session/asciicast"
	"vmhost/session/record"
	"vmhost/session/screen"
)

// Sessions keeps terminal sessions across dropped connections: a pty
// session whose client goes away is detached, not ended, and the next
// interactive login to its guest reattaches it.
type Sessions struct {
	// Table holds the kept sessions of every guest.
	Table *vmsession.Table
	// Keeps reports whether the sessions of owner's guests are kept
	// (ssh.reattach); nil keeps everyone's.
	Keeps func(owner string) bool
	// Budget bounds the output emulated per second, for all sessions
	// together; nil does not.
	Budget *screen.Budget
	// Recordings keeps the recordings of the sessions that Record says to
	// record; nil records none.
	Recordings *record.Store
	// Record says how owner's sessions are recorded; nil records none.
	Record func(owner string) config.RecordPolicy
	// Teaching says whose sessions a person may watch, join and replay
	// over SSH; nil: no one's.
	Teaching Teaching
}

// keeps reports whether the session's process is to be kept when its
// client goes away: a terminal, a shell or a command (not a forced one),
// and a user whose sessions are kept.
func (s *session) keeps() bool {
	ks := s.conn.srv.sessions
	if ks == nil || s.conn.grant.Command != "" {
		return false
	}
	s.mu.Lock()
	tty := s.tty != nil
	s.mu.Unlock()
	return tty && (ks.Keeps == nil || ks.Keeps(s.conn.owner))
}

// guestID is the session's guest, as the table of kept sessions names it.
func (s *session) guestID() string { return guest.GuestID(s.conn.owner, s.conn.guest) }

// beginKept starts argv (the login shell when login is set) as a kept
// session and returns what attaches the client to it.
func (s *session) beginKept(argv []string, login bool, command string) func() {
	start := time.Now()
	s.mu.Lock()
	tty := *s.tty
	s.keep = true // the guest's init keeps a copy of the terminal: a daemon restart ends nothing
	s.mu.Unlock()
	rec, policy, err := s.startRecording(tty, command, start)
	if err != nil {
		return func() { s.fail(err) }
	}
	att, audit, failed := s.startProcess(argv, login, command)
	if failed != nil {
		if rec != nil {
			rec.Close()
		}
		return failed
	}
	s.mu.Lock()
	s.att = nil // the kept session owns the process's files now
	s.mu.Unlock()
	return func() { // after the answer to the request: output may follow
		ks := s.conn.srv.sessions
		o := vmsession.KeepOptions{
			Info:  vmsession.Info{Command: command, Started: start, Cols: int(tty.Cols), Rows: int(tty.Rows)},
			First: s.ch, Budget: ks.Budget, Now: time.Now,
		}
		if rec != nil {
			o.Record, o.RecordInput, o.RecordFailed = rec, policy.Input, recordFailed(audit, policy)
			audit = audit.With("recording", rec.ID)
		}
		k, a := vmsession.Keep(att, o)
		audit := audit.With("session", ks.Table.Add(s.guestID(), k))
		audit.Info("session", "outcome", "started", "tty", true)
		s.serveKept(k, a, audit, start)
	}
}

// startRecording starts the recording of a session with terminal tty and
// command, if its owner's are recorded. A recording that cannot start is
// an error when record_fail is closed (the session is refused), else
// logged.
func (s *session) startRecording(tty guest.TTY, command string, start time.Time) (*record.Recording, config.RecordPolicy, error) {
	return s.conn.srv.sessions.startRecording(s.log, s.conn.owner, s.guestID(), tty, command, start)
}

// startRecording starts the recording of a session of owner's guest id
// with terminal tty and command, as session.startRecording does.
func (ks *Sessions) startRecording(log *slog.Logger, owner, id string, tty guest.TTY, command string, start time.Time) (*record.Recording, config.RecordPolicy, error) {
	if ks.Recordings == nil || ks.Record == nil {
		return nil, config.RecordPolicy{}, nil
	}
	policy := ks.Record(owner)
	if !policy.On {
		return nil, policy, nil
	}
	h := asciicast.Header{Width: int(tty.Cols), Height: int(tty.Rows), Command: command,
		Title: id, Env: map[string]string{"TERM": tty.Term}}
	rec, err := ks.Recordings.Create(id, start, h, time.Now)
	if err == nil {
		return rec, policy, nil
	}
	log.Warn("recording a session", "err", err, "record_fail", failMode(policy))
	if policy.FailClosed {
		return nil, policy, errors.New("this session must be recorded and the recording cannot be written; try again later or tell the host's admin")
	}
	return nil, policy, nil
}

// recordFailed returns what follows a recording that fails during its
// session: the session is hung up when record_fail is closed, else it goes
// on unrecorded; the log says which.
func recordFailed(audit *slog.Logger, policy config.RecordPolicy) func(*vmsession.Kept, error) {
	return func(k *vmsession.Kept, err error) {
		audit.Warn("recording failed", "err", err.Error(), "record_fail", failMode(policy))
		if policy.FailClosed {
			k.HangUp()
		}
	}
}

// failMode names a record_fail for logs.
func failMode(p config.RecordPolicy) string {
	if p.FailClosed {
		return config.RecordFailClosed
	}
	return config.RecordFailOpen
}

// reattach attaches the client to the session of the guest detached most
// recently, if any, and returns what serves it; nil if there is none.
func (s *session) reattach() func() {
	k := s.conn.srv.sessions.Table.Latest(s.guestID())
	if k == nil {
		return s.adoptOrphans()
	}
	return s.attachKept(k)
}

// attachKept returns what attaches the client to k and serves it, with a
// line that says so.
func (s *session) attachKept(k *vmsession.Kept) func() {
	i := k.Info()
	audit := s.conn.audit.With("kind", s.kind, "session", i.N)
	audit.Info("session reattached", "detached_for", time.Since(i.Since).Round(time.Second))
	notice := fmt.Sprintf("vmhost: reattached to session %d, detached %s ago; ':ls' lists sessions", i.N, ago(time.Since(i.Since)))
	if i.Attached {
		notice = fmt.Sprintf("vmhost: attached to session %d, taken over from another connection; ':ls' lists sessions", i.N)
	}
	return func() {
		s.mu.Lock()
		tty := *s.tty
		s.mu.Unlock()
		a, err := k.Attach(s.ch, tty.Rows, tty.Cols, notice)
		if err != nil {
			s.fail(err)
			return
		}
		s.serveKept(k, a, audit, time.Now())
	}
}

// serveKept attaches the client to k until the session ends, the client
// goes away (the session is then detached, not ended), another client takes
// it over or it is hung up.
func (s *session) serveKept(k *vmsession.Kept, a *vmsession.Attachment, audit *slog.Logger, start time.Time) {
	defer s.end(errors.New("session ended"))
	s.mu.Lock()
	s.kept, s.attachment = k, a
	if s.resized {
		k.Resize(s.tty.Rows, s.tty.Cols)
	}
	s.mu.Unlock()
	s.conn.goSafe("kept session input", func() { copyBulk(k.Input(), s.ch) })
	err := a.Err()
	switch {
	case err == nil:
		status, werr := k.Status()
		s.finish(status, werr)
		audit.Info("session ended", "outcome", describe(status), "bytes_in", s.meter.in.Load(),
			"bytes_out", s.meter.out.Load(), "duration", time.Since(start).Round(time.Millisecond))
	case errors.Is(err, vmsession.ErrTakenOver), errors.Is(err, vmsession.ErrHungUp):
		fmt.Fprintf(s.ch, "\r\nvmhost: session %d: %v\r\n", k.Info().N, err)
		s.sendExit(guest.ExitStatus{Code: 0})
		s.ch.CloseWrite()
		s.ch.Close()
		audit.Info("session detached", "cause", err.Error())
	default:
		audit.Info("session detached", "cause", err.Error(), "bytes_in", s.meter.in.Load(), "bytes_out", s.meter.out.Load())
	}
}

// ago says how long ago, roughly, for people.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
