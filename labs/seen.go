package labs

import (
	"sync"
	"time"
)

// Tracker is told of every SSH connection to a guest as it opens and
// closes; sshgate.Tracker has these methods.
type Tracker interface {
	Opened(owner, name string)
	Closed(owner, name string)
}

// Seen remembers, since the daemon started, when each guest was last
// logged in to and last used (a connection open, or its last one's end).
// It is a Tracker that tells next too. Its methods do not block.
type Seen struct {
	next  Tracker
	now   func() time.Time
	watch func(owner, name string) bool

	mu    sync.Mutex
	login map[string]time.Time // by guest ID
	left  map[string]time.Time // when its last connection closed
	open  map[string]int
}

// NewSeen returns a Seen of the guests watch reports true for (so that
// what it keeps is bounded by the classes, not by the logins users make
// up), passing every event on to next (nil: none).
func NewSeen(next Tracker, watch func(owner, name string) bool, now func() time.Time) *Seen {
	if now == nil {
		now = time.Now
	}
	return &Seen{next: next, now: now, watch: watch, login: map[string]time.Time{}, left: map[string]time.Time{}, open: map[string]int{}}
}

// Opened implements Tracker.
func (s *Seen) Opened(owner, name string) {
	if s.watch(owner, name) {
		id := guestID(owner, name)
		s.mu.Lock()
		s.login[id] = s.now()
		s.open[id]++
		s.mu.Unlock()
	}
	if s.next != nil {
		s.next.Opened(owner, name)
	}
}

// Closed implements Tracker.
func (s *Seen) Closed(owner, name string) {
	id := guestID(owner, name)
	s.mu.Lock()
	if _, ok := s.login[id]; ok {
		s.left[id] = s.now()
		if s.open[id]--; s.open[id] <= 0 {
			delete(s.open, id)
		}
	}
	s.mu.Unlock()
	if s.next != nil {
		s.next.Closed(owner, name)
	}
}

// Last returns when the guest id was last logged in to, and last used:
// now while a connection is open; zero times when not since the daemon
// started.
func (s *Seen) Last(id string) (login, activity time.Time) {
	if s == nil {
		return time.Time{}, time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[id] > 0 {
		return s.login[id], s.now()
	}
	return s.login[id], s.left[id]
}
