package session

import (
	"errors"
	"sync"
	"testing"
	"time"

	"vmhost/guest"
)

// hangUps records what a table hung up.
type hangUps struct {
	mu  sync.Mutex
	got []string
}

func (h *hangUps) record(guest string, i Info, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, why)
}

func (h *hangUps) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

func TestTableLatestDetached(t *testing.T) {
	tab := NewTable(Bounds{DetachTimeout: time.Hour, MaxDetached: 10}, time.Now, nil)
	one, _, _ := keep(t)
	two, _, _ := keep(t)
	if n1, n2 := tab.Add("alice", one), tab.Add("alice", two); n1 != 1 || n2 != 2 {
		t.Fatalf("numbers %d, %d; want 1, 2", n1, n2)
	}
	var c syncBuffer
	a1, _ := one.Attach(&c, 24, 80, "")
	a2, _ := two.Attach(&c, 24, 80, "")
	if tab.Latest("alice") != nil {
		t.Error("Latest with every session attached is not nil")
	}
	a2.Detach()
	time.Sleep(2 * time.Millisecond)
	a1.Detach()
	if got := tab.Latest("alice"); got != one {
		t.Errorf("Latest = session %d, want 1 (detached last)", got.Info().N)
	}
	if tab.Latest("bob") != nil {
		t.Error("Latest of another guest is not nil")
	}
	if k, err := tab.Get("alice", 2); err != nil || k != two {
		t.Errorf("Get(alice, 2) = %v, %v", k, err)
	}
	if _, err := tab.Get("alice", 3); !errors.Is(err, ErrNoSession) {
		t.Errorf("Get(alice, 3) = %v, want %v", err, ErrNoSession)
	}
}

func TestTableForgetsEnded(t *testing.T) {
	tab := NewTable(Bounds{DetachTimeout: time.Hour, MaxDetached: 10}, time.Now, nil)
	k, p, _ := keep(t)
	tab.Add("alice", k)
	p.exit <- guest.ExitStatus{}
	<-k.Ended()
	waitFor(t, "the ended session leaves the list", func() bool { return len(tab.List("alice")) == 0 })
}

func TestTableDetachTimeout(t *testing.T) {
	var h hangUps
	tab := NewTable(Bounds{DetachTimeout: 20 * time.Millisecond, MaxDetached: 10}, time.Now, h.record)
	k, p, _ := keep(t)
	tab.Add("alice", k)
	waitFor(t, "a detached session is hung up after the timeout", func() bool { return h.count() == 1 })
	if sig := <-p.sigs; sig.String() != "hangup" {
		t.Errorf("signal %v, want SIGHUP", sig)
	}
}

func TestTableReattachStopsTimeout(t *testing.T) {
	var h hangUps
	tab := NewTable(Bounds{DetachTimeout: 50 * time.Millisecond, MaxDetached: 10}, time.Now, h.record)
	k, _, _ := keep(t)
	tab.Add("alice", k)
	var c syncBuffer
	k.Attach(&c, 24, 80, "")
	time.Sleep(150 * time.Millisecond)
	if h.count() != 0 {
		t.Error("an attached session was hung up by the detach timeout")
	}
}

func TestTableMaxDetached(t *testing.T) {
	var h hangUps
	tab := NewTable(Bounds{DetachTimeout: time.Hour, MaxDetached: 1}, time.Now, h.record)
	old, p, _ := keep(t)
	tab.Add("alice", old)
	time.Sleep(2 * time.Millisecond)
	young, _, _ := keep(t)
	tab.Add("alice", young)
	waitFor(t, "the oldest detached session is hung up", func() bool { return h.count() == 1 })
	if sig := <-p.sigs; sig.String() != "hangup" {
		t.Errorf("the oldest got %v, want SIGHUP", sig)
	}
}
