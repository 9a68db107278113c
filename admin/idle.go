package admin

import (
	"context"
	"log/slog"
	"time"

	"vmhost/guest"
)

// IdleOptions configure an IdleStopper.
type IdleOptions struct {
	Guests interface {
		List() []guest.Info
		Stop(id string) error
	}
	Sessions Sessions
	// IdleStopFor is how long the owner's guests may be idle; 0 never stops
	// them.
	IdleStopFor func(owner string) time.Duration
	// Processes counts the processes of guests beyond their init, by init
	// pid; nil means ProcessesBeyondInit.
	Processes func(inits []int) (map[int]int, error)
	Now       func() time.Time
	Logger    *slog.Logger
}

// IdleStopper stops guests that have been idle for their owner's idle_stop:
// no SSH connection and no process in the guest but its init. Their files
// are kept; they start again on the next login.
type IdleStopper struct {
	opts     IdleOptions
	lastBusy map[string]time.Time // by guest id, running guests only
}

// NewIdleStopper returns an IdleStopper for opts.
func NewIdleStopper(opts IdleOptions) *IdleStopper {
	if opts.Processes == nil {
		opts.Processes = ProcessesBeyondInit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Sessions == nil {
		opts.Sessions = noSessions{}
	}
	return &IdleStopper{opts: opts, lastBusy: map[string]time.Time{}}
}

// Check looks at every running guest once, stops those idle for long
// enough, and returns their ids. A guest is first seen busy: its idle time
// counts from the first check that sees it.
func (s *IdleStopper) Check() []string {
	watched := s.watched()
	inits := make([]int, len(watched))
	for i, in := range watched {
		inits[i] = in.InitPid
	}
	procs, err := s.opts.Processes(inits)
	if err != nil {
		s.opts.Logger.Warn("counting guest processes for idle_stop", "err", err)
		return nil
	}
	now := s.opts.Now()
	seen := map[string]bool{}
	var stopped []string
	for _, in := range watched {
		limit := s.opts.IdleStopFor(in.Owner)
		id := in.ID()
		seen[id] = true
		last, known := s.lastBusy[id]
		if !known || s.opts.Sessions.Sessions(id) > 0 || procs[in.InitPid] > 0 {
			s.lastBusy[id] = now
			continue
		}
		if now.Sub(last) >= limit && s.stop(id, limit) {
			stopped = append(stopped, id)
			delete(seen, id)
		}
	}
	for id := range s.lastBusy {
		if !seen[id] {
			delete(s.lastBusy, id)
		}
	}
	return stopped
}

// watched returns the running guests whose owner has an idle_stop.
func (s *IdleStopper) watched() []guest.Info {
	var out []guest.Info
	for _, in := range s.opts.Guests.List() {
		if in.Running && s.opts.IdleStopFor(in.Owner) > 0 {
			out = append(out, in)
		}
	}
	return out
}

// stop stops the idle guest id.
func (s *IdleStopper) stop(id string, limit time.Duration) bool {
	if err := s.opts.Guests.Stop(id); err != nil {
		s.opts.Logger.Error("stopping an idle guest", "guest", id, "err", err)
		return false
	}
	s.opts.Logger.Info("stopped an idle guest; its files are kept", "guest", id, "idle_stop", limit)
	return true
}

// Run checks every interval() until ctx ends.
func (s *IdleStopper) Run(ctx context.Context, interval func() time.Duration) {
	for {
		t := time.NewTimer(interval())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
			s.Check()
		}
	}
}

// CheckInterval is how often guests are checked for idle_stops: a quarter
// of the shortest, from half a second to a minute.
func CheckInterval(idleStops []time.Duration) time.Duration {
	d := time.Minute
	for _, is := range idleStops {
		if is > 0 {
			d = min(d, is/4)
		}
	}
	return max(d, 500*time.Millisecond)
}

// Autostart starts, one after the other, every guest that is not running
// and autostarts: by its own setting when it has one (guest autostart),
// else by its owner's (autostart(owner)). It logs what fails.
func Autostart(ctx context.Context, guests Guests, autostart func(owner string) bool, log *slog.Logger) {
	for _, in := range guests.List() {
		if on, _ := autostarts(in, autostart); in.Running || !on || ctx.Err() != nil {
			continue
		}
		if err := guests.Start(ctx, in.ID()); err != nil {
			log.Error("autostarting guest", "guest", in.ID(), "err", err)
			continue
		}
		log.Info("autostarted guest", "guest", in.ID())
	}
}
