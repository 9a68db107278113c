package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"vmhost/guest"
	"vmhost/labs"
	"vmhost/protocol"
)

// labParts are the daemon's classes: the setup that runs in new guests,
// and, once the guest manager exists, the service behind `vmhostd lab` and
// the teachers' :lab.
type labParts struct {
	store *labs.Store
	setup *labs.Setup
	seen  *labs.Seen
	svc   *labs.Service
	live  *liveConfig
	log   *slog.Logger
}

// newLabParts returns the classes' parts of the daemon with configuration
// live; setups a past run left running are marked interrupted.
func newLabParts(live *liveConfig, log *slog.Logger) *labParts {
	store := labs.NewStore(filepath.Join(live.Config().DataDir, "labs"))
	if err := store.InterruptSetups(time.Now().UTC()); err != nil {
		log.Error("marking interrupted lab setups", "err", err)
	}
	return &labParts{store: store, setup: labs.NewSetup(live.Config, store, log), live: live, log: log,
		seen: labs.NewSeen(live.conns, everyGuest, nil)}
}

// firstStart is guest.Options.FirstStart: a class's setup.
func (l *labParts) firstStart(ctx context.Context, owner, name string, g guest.Running) {
	l.setup.Run(ctx, owner, name, func(ctx context.Context, req protocol.SpawnRequest) (labs.Process, error) {
		return g.Spawn(ctx, req)
	})
}

// start makes the service over mgr.
func (l *labParts) start(mgr *guest.Manager) *labs.Service {
	l.svc = labs.New(labs.Options{
		Config: l.live.Config, Guests: labGuests{mgr}, Sessions: l.live.conns, Seen: l.seen,
		Store: l.store, Audit: l.log.With("audit", true),
	})
	return l.svc
}

// labGuests adapts guest.Manager to labs.Guests.
type labGuests struct{ m *guest.Manager }

// List implements labs.Guests.
func (g labGuests) List() []labs.Guest {
	infos := g.m.List()
	out := make([]labs.Guest, len(infos))
	for i, in := range infos {
		out[i] = labs.Guest{ID: in.ID(), Owner: in.Owner, Name: in.Name, State: in.Status, Error: in.Error}
	}
	return out
}

// Open implements labs.Guests.
func (g labGuests) Open(ctx context.Context, owner, name string) error {
	_, err := g.m.Open(ctx, owner, name)
	return err
}

// Stop, Reset and Remove implement labs.Guests.
func (g labGuests) Stop(id string) error   { return g.m.Stop(id) }
func (g labGuests) Reset(id string) error  { return g.m.Reset(id) }
func (g labGuests) Remove(id string) error { return g.m.Remove(id) }

// Exec implements labs.Guests.
func (g labGuests) Exec(ctx context.Context, id string, req protocol.SpawnRequest) (labs.Process, error) {
	return g.m.Exec(ctx, id, req)
}
