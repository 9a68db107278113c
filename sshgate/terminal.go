package sshgate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"vmhost/guest"
	vmsession "vmhost/session"
)

// TerminalRequest asks for a terminal in a guest from a front end other
// than SSH (the browser): the same kept sessions as an SSH pty session,
// so that one started in one front end is reattached from the other.
type TerminalRequest struct {
	// Person is who asks: Owner, or a teacher of Owner's class.
	Person string
	// Owner and Guest name the guest as a login does (Guest is Owner for
	// the owner's default guest); the classes' GuestFor applies.
	Owner, Guest string
	// Rows, Cols and Term are the client's terminal.
	Rows, Cols uint16
	Term       string
	// Via names the front end for the audit ("web"); Remote is the
	// client's address.
	Via, Remote string
	// Role is what Person is to the guest's owner when they watch, as the
	// owner is told ("teacher" when empty; "admin").
	Role string
}

// Terminal is a client attached to a kept session through
// StartTerminal or AttachTerminal.
type Terminal struct {
	// Kept is the session, numbered N in its guest's list.
	Kept *vmsession.Kept
	N    int
	// Attachment is the client's attachment: Err says why it ended.
	Attachment *vmsession.Attachment
	// Audit is the audit log of the session.
	Audit *slog.Logger
	close func()
	once  sync.Once
}

// Close detaches the client (the session goes on) and tells the tracker
// that the guest has one client less.
func (t *Terminal) Close() {
	t.once.Do(func() {
		t.Attachment.Detach()
		t.close()
	})
}

// errNoKeep is the error of a terminal asked for from a server that keeps
// no sessions.
var errNoKeep = errors.New("this host keeps no terminal sessions (ssh.reattach is off)")

// TerminalGuest returns the guest's id in the table of kept sessions, the
// guest r names after the classes' GuestFor; or why r may not reach it
// now (a class's hours, a host the class has not).
func (s *Server) TerminalGuest(r TerminalRequest) (string, error) {
	name := s.loginGuest(r.Owner, r.Guest)
	if s.logins != nil {
		if _, err := s.logins.GuestFor(r.Owner, r.Guest); err != nil {
			return "", err
		}
		if r.Person == r.Owner {
			if err := s.logins.LoginWindow(r.Owner, time.Now()); err != nil {
				return "", err
			}
		}
	}
	if s.sessions == nil || (s.sessions.Keeps != nil && !s.sessions.Keeps(r.Owner)) {
		return "", errNoKeep
	}
	return guest.GuestID(r.Owner, name), nil
}

// ListTerminals describes the kept sessions of the guest r names.
func (s *Server) ListTerminals(r TerminalRequest) ([]vmsession.Info, error) {
	id, err := s.TerminalGuest(r)
	if err != nil {
		return nil, err
	}
	return s.sessions.Table.List(id), nil
}

// StartTerminal starts the login shell of the guest r names as a kept
// session, recorded as the owner's SSH sessions are, with out attached to
// it, and writes the audit line.
func (s *Server) StartTerminal(ctx context.Context, r TerminalRequest, out io.Writer) (*Terminal, error) {
	id, err := s.TerminalGuest(r)
	if err != nil {
		return nil, err
	}
	audit := s.terminalAudit(r)
	tty := guest.TTY{Term: r.Term, Rows: r.Rows, Cols: r.Cols}
	start := time.Now()
	rec, policy, err := s.sessions.startRecording(s.log, r.Owner, id, tty, "", start)
	if err != nil {
		return nil, err
	}
	att, err := s.spawnTerminal(ctx, r, tty)
	if err != nil {
		if rec != nil {
			rec.Close()
		}
		audit.Info("session", "outcome", "refused", "err", err.Error())
		return nil, err
	}
	o := vmsession.KeepOptions{
		Info:  vmsession.Info{Started: start, Cols: int(tty.Cols), Rows: int(tty.Rows)},
		First: out, Budget: s.sessions.Budget, Now: time.Now,
	}
	if rec != nil {
		o.Record, o.RecordInput, o.RecordFailed = rec, policy.Input, recordFailed(audit, policy)
		audit = audit.With("recording", rec.ID)
	}
	k, a := vmsession.Keep(att, o)
	n := s.sessions.Table.Add(id, k)
	audit = audit.With("session", n)
	audit.Info("session", "outcome", "started", "tty", true)
	return s.terminal(r, k, n, a, audit), nil
}

// AttachTerminal attaches out to session n of the guest r names, taking it
// over from another client if one is attached, and writes the audit line.
func (s *Server) AttachTerminal(r TerminalRequest, n int, out io.Writer) (*Terminal, error) {
	id, err := s.TerminalGuest(r)
	if err != nil {
		return nil, err
	}
	k, err := s.sessions.Table.Get(id, n)
	if err != nil {
		return nil, fmt.Errorf("no session %d in guest %s", n, id)
	}
	i := k.Info()
	notice := fmt.Sprintf("vmhost: reattached to session %d, detached %s ago", n, ago(time.Since(i.Since)))
	if i.Attached {
		notice = fmt.Sprintf("vmhost: attached to session %d, taken over from another connection", n)
	}
	a, err := k.Attach(out, r.Rows, r.Cols, notice)
	if err != nil {
		return nil, err
	}
	audit := s.terminalAudit(r).With("session", n)
	audit.Info("session reattached", "detached_for", time.Since(i.Since).Round(time.Second))
	return s.terminal(r, k, n, a, audit), nil
}

// terminal returns the Terminal of a client attached to k, telling the
// tracker that the guest is in use until it is closed.
func (s *Server) terminal(r TerminalRequest, k *vmsession.Kept, n int, a *vmsession.Attachment, audit *slog.Logger) *Terminal {
	name := s.loginGuest(r.Owner, r.Guest)
	done := func() {}
	if s.tracker != nil {
		s.tracker.Opened(r.Owner, name)
		done = func() { s.tracker.Closed(r.Owner, name) }
	}
	return &Terminal{Kept: k, N: n, Attachment: a, Audit: audit, close: done}
}

// terminalAudit is the audit log of a terminal r asks for.
func (s *Server) terminalAudit(r TerminalRequest) *slog.Logger {
	attrs := []any{"user", r.Person, "owner", r.Owner, "guest", s.loginGuest(r.Owner, r.Guest),
		"remote", r.Remote, "via", r.Via, "kind", "shell"}
	if r.Person != r.Owner {
		attrs = append(attrs, "actor", r.Person)
	}
	return s.audit.With(attrs...)
}

// spawnTerminal opens the guest and starts its login shell on a terminal
// the guest's init keeps.
func (s *Server) spawnTerminal(ctx context.Context, r TerminalRequest, tty guest.TTY) (*vmsession.Attached, error) {
	g, err := s.guests.Open(ctx, r.Owner, s.loginGuest(r.Owner, r.Guest))
	if err == nil && g == nil {
		err = errNoGuest
	}
	if err != nil {
		return nil, err
	}
	env := vmsession.Env()
	if tty.Term != "" {
		env = vmsession.SetEnv(env, "TERM="+tty.Term)
	}
	req := guest.SpawnRequest{Login: true, TTY: &tty, Keep: true, Env: env}
	proc, err := g.Spawn(ctx, req)
	if err == nil {
		if err = checkProcess(proc, true); err != nil && proc != nil {
			proc.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("starting the login shell in guest %s: %w", s.loginGuest(r.Owner, r.Guest), err)
	}
	att, err := vmsession.Attach(proc)
	if err != nil {
		proc.Close()
		return nil, err
	}
	return att, nil
}

// WatchTerminal shows session n of the guest r names to out, from its
// screen as it is, read-only or, with join, with what r.Person types going
// to it, as ":watch" and ":join" do; the session's user is told. Whether
// r.Person may (a teacher of r.Owner's class, or r.Role's) is the
// caller's to check.
// The returned function writes the audit line of the watcher's leaving.
func (s *Server) WatchTerminal(r TerminalRequest, n int, out io.Writer, join bool) (*vmsession.Watcher, func(), error) {
	id, err := s.TerminalGuest(r)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.sessions.Table.Get(id, n)
	if err != nil {
		return nil, nil, fmt.Errorf("no session %d in guest %s", n, id)
	}
	role := r.Role
	if role == "" {
		role = "teacher"
	}
	w, err := k.Watch(out, r.Person+" ("+role+")", join)
	if err != nil {
		return nil, nil, fmt.Errorf("session %d of %s: %w", n, id, err)
	}
	verb := map[bool]string{false: "session watched", true: "session joined"}[join]
	audit := s.audit.With("user", r.Person, "remote", r.Remote, "via", r.Via, "target", id, "session", n, "by", r.Person)
	audit.Info(verb)
	return w, func() { audit.Info(verb + " no more") }, nil
}

// RunningGuests is a Guests that tells whether a guest runs without
// starting it.
type RunningGuests interface {
	Running(owner, name string) bool
}

// AdoptTerminals takes over, into the table, the kept sessions of the
// guest r names that a daemon before this one kept (detached across its
// restart), so that ListTerminals lists them and AttachTerminal reattaches
// them, as an SSH login does; it returns how many. A guest that is not
// running has none: it is not started for this (see RunningGuests).
func (s *Server) AdoptTerminals(ctx context.Context, r TerminalRequest) (int, error) {
	id, err := s.TerminalGuest(r)
	if err != nil {
		return 0, err
	}
	name := s.loginGuest(r.Owner, r.Guest)
	if rg, ok := s.guests.(RunningGuests); ok && !rg.Running(r.Owner, name) {
		return 0, nil
	}
	g, err := s.guests.Open(ctx, r.Owner, name)
	kg, ok := g.(keptGuest)
	if err != nil || !ok {
		return 0, err
	}
	list, err := kg.KeptSessions(ctx)
	if err != nil {
		return 0, fmt.Errorf("listing the guest's kept sessions: %w", err)
	}
	list = slices.DeleteFunc(list, func(k guest.KeptSession) bool { return k.Detached == 0 })
	slices.SortFunc(list, func(a, b guest.KeptSession) int { return int(a.Detached - b.Detached) })
	audit := s.terminalAudit(r)
	tty := guest.TTY{Term: r.Term, Rows: r.Rows, Cols: r.Cols}
	adopted := 0
	for _, ks := range list {
		proc, err := kg.Reattach(ctx, ks.ID)
		if err != nil {
			continue
		}
		if k, _, n := s.adoptKept(proc, ks, nil, tty, r.Owner, id, s.log, audit); k != nil {
			audit.Info("session adopted", "session", n, "kept_across_restart", true)
			adopted++
		}
	}
	return adopted, nil
}
