package guest

import (
	"context"
	"time"
)

// Sessions counts the SSH connections open to each guest. Connections
// implements it.
type Sessions interface {
	Sessions(id string) int
}

// IdleOptions configure an IdleStopper.
type IdleOptions struct {
	// Sessions counts the guests' SSH connections; nil counts none.
	Sessions Sessions
	// Processes counts the processes of guests beyond their init, by init
	// pid; nil means ProcessesBeyondInit.
	Processes func(inits []int) (map[int]int, error)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// IdleStopper stops guests that have been idle for their owner's
// idle_stop. A guest is busy while it has an SSH connection open or a
// process other than its init (a nohup'ed job, a service); otherwise it is
// idle. Stopped guests keep their files and start again on the next login.
type IdleStopper struct {
	m        *Manager
	opts     IdleOptions
	lastBusy map[string]time.Time // by guest id, running guests only
}

// NewIdleStopper returns an IdleStopper of the guests of m, with the
// idle_stops of m's policy.
func (m *Manager) NewIdleStopper(opts IdleOptions) *IdleStopper {
	if opts.Processes == nil {
		opts.Processes = ProcessesBeyondInit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sessions == nil {
		opts.Sessions = noSessions{}
	}
	return &IdleStopper{m: m, opts: opts, lastBusy: map[string]time.Time{}}
}

// noSessions counts no sessions.
type noSessions struct{}

func (noSessions) Sessions(string) int { return 0 }

// Check looks at every running guest once, stops those idle for long
// enough, and returns their ids. A guest is first seen busy: its idle time
// counts from the first check that sees it.
func (s *IdleStopper) Check() []string {
	p := s.m.policy()
	watched := s.watched(p)
	procs, err := s.opts.Processes(initPids(watched))
	if err != nil {
		s.m.log.Warn("counting guest processes for idle_stop", "err", err)
		return nil
	}
	now := s.opts.Now()
	seen := map[string]bool{}
	var stopped []string
	for _, in := range watched {
		id, limit := in.ID(), p.IdleStopFor(in.Owner)
		seen[id] = true
		last, known := s.lastBusy[id]
		if !known || s.busy(in, procs) {
			s.lastBusy[id] = now
			continue
		}
		if now.Sub(last) >= limit && s.stop(id, limit) {
			stopped = append(stopped, id)
			delete(seen, id)
		}
	}
	s.forget(seen)
	return stopped
}

// busy reports whether the guest in has an SSH connection open or a
// process beyond its init, by procs, which counts them by init pid.
func (s *IdleStopper) busy(in Info, procs map[int]int) bool {
	return s.opts.Sessions.Sessions(in.ID()) > 0 || procs[in.InitPid] > 0
}

// forget drops the guests not seen running by the last check.
func (s *IdleStopper) forget(seen map[string]bool) {
	for id := range s.lastBusy {
		if !seen[id] {
			delete(s.lastBusy, id)
		}
	}
}

// watched returns the running guests whose owner has an idle_stop under p.
func (s *IdleStopper) watched(p Lifecycle) []Info {
	var out []Info
	for _, in := range s.m.List() {
		if in.Running && p.IdleStopFor(in.Owner) > 0 {
			out = append(out, in)
		}
	}
	return out
}

// initPids lists the init pids of guests.
func initPids(guests []Info) []int {
	out := make([]int, len(guests))
	for i, in := range guests {
		out[i] = in.InitPid
	}
	return out
}

// stop stops the idle guest id.
func (s *IdleStopper) stop(id string, limit time.Duration) bool {
	if err := s.m.Stop(id); err != nil {
		s.m.log.Error("stopping an idle guest", "guest", id, "err", err)
		return false
	}
	s.m.log.Info("stopped an idle guest; its files are kept", "guest", id, "idle_stop", limit)
	return true
}

// Run checks every CheckInterval of the idle_stops in use until ctx ends.
func (s *IdleStopper) Run(ctx context.Context) {
	for {
		t := time.NewTimer(CheckInterval(s.m.policy().IdleStops()))
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
