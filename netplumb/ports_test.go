package netplumb

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestPortSlots follows the ports of a bridge with room for 2 guests.
func TestPortSlots(t *testing.T) {
	p := newPortSlots(2)
	steps := []struct {
		name      string
		do        func() (bool, error)
		wantFresh bool
		wantErr   error
	}{
		{"alice", func() (bool, error) { return p.take("alice") }, true, nil},
		{"alice again (reattached)", func() (bool, error) { return p.take("alice") }, false, nil},
		{"bob", func() (bool, error) { return p.take("bob") }, true, nil},
		{"carol, past the bridge", func() (bool, error) { return p.take("carol") }, false, ErrBridgeFull},
		{"bob again", func() (bool, error) { return p.take("bob") }, false, nil},
		{"room for alice and bob, not carol", func() (bool, error) {
			return false, errors.Join(p.room("alice"), p.room("bob"), p.room("carol"))
		}, false, ErrBridgeFull},
		{"alice leaves, carol", func() (bool, error) { p.give("alice"); p.give("nobody"); return p.take("carol") }, true, nil},
		{"alice, past the bridge", func() (bool, error) { return p.take("alice") }, false, ErrBridgeFull},
		{"all leave, alice", func() (bool, error) { p.giveAll(); return p.take("alice") }, true, nil},
	}
	if err := p.room("alice"); err != nil {
		t.Errorf("room for alice on an empty bridge = %v, want nil", err)
	}
	for _, s := range steps {
		fresh, err := s.do()
		if fresh != s.wantFresh || !errors.Is(err, s.wantErr) {
			t.Errorf("%s: take = %v, %v; want %v, %v", s.name, fresh, err, s.wantFresh, s.wantErr)
		}
	}
}

// TestPortSlotsConcurrent has 50 guests take ports of a bridge with room
// for 20 at once: 20 get one.
func TestPortSlotsConcurrent(t *testing.T) {
	p := newPortSlots(20)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for i := range 50 {
		wg.Go(func() {
			if fresh, err := p.take(fmt.Sprintf("g%d", i)); fresh && err == nil {
				mu.Lock()
				got++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got != 20 {
		t.Errorf("%d of 50 guests got a port of a bridge with 20, want 20", got)
	}
}

// TestBridgeFullMessage wants ErrBridgeFull to say what is full and what to
// do, with no host name or path, however it is wrapped.
func TestBridgeFullMessage(t *testing.T) {
	err := fmt.Errorf("starting guest alice: attaching guest alice to vmhost0: %w", ErrBridgeFull)
	var u interface{ UserMessage() string }
	if !errors.As(err, &u) {
		t.Fatalf("%v has no UserMessage", err)
	}
	want := "the host's guest network is full: at most 1023 running guests per bridge; log in again once another guest has stopped"
	if got := u.UserMessage(); got != want {
		t.Errorf("UserMessage() = %q, want %q", got, want)
	}
	if !strings.HasSuffix(err.Error(), "the host's guest network is full: at most 1023 running guests per bridge") {
		t.Errorf("Error() = %q, want it to end with what is full", err)
	}
}
