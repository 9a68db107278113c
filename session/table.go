package session

import (
	"errors"
	"slices"
	"sync"
	"time"
)

// ErrNoSession is returned for a session number a guest does not have.
var ErrNoSession = errors.New("no such session")

// Bounds are the bounds on kept sessions.
type Bounds struct {
	DetachTimeout time.Duration // a session detached this long is hung up
	MaxDetached   int           // detached sessions a guest keeps; past it the oldest is hung up
}

// Table holds the kept sessions of every guest, numbered per guest, and
// hangs up those detached past the bounds.
type Table struct {
	mu       sync.Mutex
	bounds   Bounds
	now      func() time.Time
	guests   map[string]*guestSessions
	onHangUp func(guest string, i Info, why string) // for the audit log; may be nil
}

// guestSessions are the kept sessions of one guest.
type guestSessions struct {
	next     int
	sessions []*Kept
	timers   map[*Kept]*time.Timer // detach timeouts running
}

// NewTable returns an empty table; now is the clock; onHangUp, if not nil,
// is told of every session the table hangs up and why.
func NewTable(b Bounds, now func() time.Time, onHangUp func(guest string, i Info, why string)) *Table {
	return &Table{bounds: b, now: now, guests: make(map[string]*guestSessions), onHangUp: onHangUp}
}

// Bounds returns the bounds in use.
func (t *Table) Bounds() Bounds {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bounds
}

// SetBounds changes the bounds, for sessions that detach from now on.
func (t *Table) SetBounds(b Bounds) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.bounds = b
}

// Add numbers k, a session of guest, and keeps it until its process ends or
// it is hung up; it returns the number.
func (t *Table) Add(guest string, k *Kept) int {
	t.mu.Lock()
	g := t.guest(guest)
	g.next++
	k.info.N = g.next
	g.sessions = append(g.sessions, k)
	t.mu.Unlock()
	k.mu.Lock()
	k.changed = func(k *Kept) { t.changed(guest, k) }
	k.mu.Unlock()
	t.changed(guest, k)
	return k.info.N
}

// guest returns the sessions of guest, made if need be. t.mu is held.
func (t *Table) guest(id string) *guestSessions {
	g := t.guests[id]
	if g == nil {
		g = &guestSessions{timers: make(map[*Kept]*time.Timer)}
		t.guests[id] = g
	}
	return g
}

// changed follows a session's attach, detach or end.
func (t *Table) changed(guest string, k *Kept) {
	var hangUp []*Kept
	t.mu.Lock()
	g := t.guests[guest]
	if g == nil {
		t.mu.Unlock()
		return
	}
	if timer := g.timers[k]; timer != nil {
		timer.Stop()
		delete(g.timers, k)
	}
	select {
	case <-k.Ended():
		g.sessions = slices.DeleteFunc(g.sessions, func(s *Kept) bool { return s == k })
		if len(g.sessions) == 0 {
			delete(t.guests, guest)
		}
	default:
		if !k.Info().Attached {
			g.timers[k] = time.AfterFunc(t.bounds.DetachTimeout, func() { t.expire(guest, k) })
			hangUp = t.pastMax(g)
		}
	}
	t.mu.Unlock()
	for _, s := range hangUp {
		t.hangUp(guest, s, "more than ssh.max_detached detached sessions")
	}
}

// pastMax returns the oldest detached sessions of g past MaxDetached. t.mu
// is held.
func (t *Table) pastMax(g *guestSessions) []*Kept {
	var detached []*Kept
	for _, s := range g.sessions {
		if !s.Info().Attached {
			detached = append(detached, s)
		}
	}
	if len(detached) <= t.bounds.MaxDetached {
		return nil
	}
	slices.SortFunc(detached, func(a, b *Kept) int { return a.Info().Since.Compare(b.Info().Since) })
	return detached[:len(detached)-t.bounds.MaxDetached]
}

// expire hangs up k if it is still detached when its timeout fires.
func (t *Table) expire(guest string, k *Kept) {
	if k.Info().Attached {
		return
	}
	t.hangUp(guest, k, "detached longer than ssh.detach_timeout")
}

// hangUp hangs up k and says why.
func (t *Table) hangUp(guest string, k *Kept, why string) {
	if t.onHangUp != nil {
		t.onHangUp(guest, k.Info(), why)
	}
	k.HangUp()
}

// List describes the sessions of guest, in number order.
func (t *Table) List(guest string) []Info {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Info
	if g := t.guests[guest]; g != nil {
		for _, s := range g.sessions {
			out = append(out, s.Info())
		}
	}
	return out
}

// Get returns session n of guest.
func (t *Table) Get(guest string, n int) (*Kept, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g := t.guests[guest]; g != nil {
		for _, s := range g.sessions {
			if s.info.N == n {
				return s, nil
			}
		}
	}
	return nil, ErrNoSession
}

// Latest returns the session of guest detached most recently, or nil.
func (t *Table) Latest(guest string) *Kept {
	t.mu.Lock()
	defer t.mu.Unlock()
	var latest *Kept
	var since time.Time
	if g := t.guests[guest]; g != nil {
		for _, s := range g.sessions {
			if i := s.Info(); !i.Attached && (latest == nil || i.Since.After(since)) {
				latest, since = s, i.Since
			}
		}
	}
	return latest
}

// Guests lists the guests that have kept sessions.
func (t *Table) Guests() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.guests))
	for g := range t.guests {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}
