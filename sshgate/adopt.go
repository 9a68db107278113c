package sshgate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"time"

	"vmhost/guest"
	vmsession "vmhost/session"
)

// keptGuest is a guest whose init keeps terminal sessions across the
// daemon's connections (guest.SpawnRequest.Keep), so that they outlive a
// restart of the daemon.
type keptGuest interface {
	KeptSessions(ctx context.Context) ([]guest.KeptSession, error)
	Reattach(ctx context.Context, id uint64) (guest.Process, error)
}

// errAdopt is the error of a kept session that could not be taken over.
var errAdopt = errors.New("the kept session could not be taken over; log in again")

// orphans returns the guest's kept sessions that no connection of the
// daemon holds (a daemon before this one kept them), the one detached last
// last.
func (s *session) orphans(ctx context.Context) (keptGuest, []guest.KeptSession) {
	g, err := s.conn.openGuest(ctx)
	kg, ok := g.(keptGuest)
	if err != nil || !ok {
		return nil, nil
	}
	list, err := kg.KeptSessions(ctx)
	if err != nil {
		s.log.Warn("listing the guest's kept sessions", "err", err)
		return nil, nil
	}
	list = slices.DeleteFunc(list, func(k guest.KeptSession) bool { return k.Detached == 0 })
	slices.SortFunc(list, func(a, b guest.KeptSession) int { return int(a.Detached - b.Detached) })
	return kg, list
}

// adoptOrphans takes over, into the table, the guest's sessions a daemon
// before this one kept, and returns what attaches the client to the one
// detached last; nil when there is none.
func (s *session) adoptOrphans() func() {
	ctx := s.ctx
	kg, list := s.orphans(ctx)
	if len(list) == 0 {
		return nil
	}
	for _, ks := range list[:len(list)-1] {
		if proc, err := kg.Reattach(ctx, ks.ID); err == nil {
			s.adopt(proc, ks, nil)
		}
	}
	last := list[len(list)-1]
	proc, err := kg.Reattach(ctx, last.ID)
	if err != nil {
		s.log.Warn("reattaching a kept session", "err", err)
		return nil
	}
	return func() {
		s.ch.Write([]byte("vmhost: reattached to a session kept across a restart of vmhost; ':ls' lists sessions\r\n"))
		k, a, n := s.adopt(proc, last, s.ch)
		if k == nil {
			s.fail(errAdopt)
			return
		}
		audit := s.conn.audit.With("kind", s.kind, "session", n)
		audit.Info("session reattached", "kept_across_restart", true)
		s.mu.Lock()
		tty := *s.tty
		s.mu.Unlock()
		k.Redraw(tty.Rows, tty.Cols)
		s.serveKept(k, a, audit, time.Now())
	}
}

// adopt keeps proc, kept session ks of the guest, in the table, with first
// attached if not nil; it returns it with its number.
func (s *session) adopt(proc guest.Process, ks guest.KeptSession, first io.Writer) (*vmsession.Kept, *vmsession.Attachment, int) {
	s.mu.Lock()
	tty := *s.tty
	s.mu.Unlock()
	return s.conn.srv.adoptKept(proc, ks, first, tty, s.conn.owner, s.guestID(), s.log, s.conn.audit)
}

// adoptKept keeps proc, kept session ks of owner's guest id, in the table,
// with first attached if not nil, its screen tty's size; it returns it with
// its number (nil when proc cannot be taken over).
func (srv *Server) adoptKept(proc guest.Process, ks guest.KeptSession, first io.Writer, tty guest.TTY, owner, id string, log, audit *slog.Logger) (*vmsession.Kept, *vmsession.Attachment, int) {
	att, err := vmsession.Attach(proc)
	if err != nil {
		proc.Close()
		return nil, nil, 0
	}
	rec, policy, err := srv.sessions.startRecording(log, owner, id, tty, ks.Command, time.Now()) // the old daemon's recording ended with it
	if err != nil {
		att.HangUp()
		att.Close()
		return nil, nil, 0
	}
	o := vmsession.KeepOptions{
		Info:  vmsession.Info{Command: ks.Command, Started: time.Unix(ks.Started, 0), Cols: int(tty.Cols), Rows: int(tty.Rows)},
		First: first, Budget: srv.sessions.Budget, Now: time.Now,
		Adopted: true, Since: time.Unix(ks.Detached, 0),
	}
	if rec != nil {
		o.Record, o.RecordInput, o.RecordFailed = rec, policy.Input, recordFailed(audit, policy)
	}
	k, a := vmsession.Keep(att, o)
	return k, a, srv.sessions.Table.Add(id, k)
}
