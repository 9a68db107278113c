package guest

import (
	"context"
	"errors"
	"testing"
)

// errNoRoom stands for netplumb.ErrBridgeFull.
var errNoRoom = errors.New("the host's guest network is full")

// roomyNetwork is a fakeNetwork with room for the guests in room only.
type roomyNetwork struct {
	*fakeNetwork
	room map[string]bool
}

func (n roomyNetwork) Room(id string) error {
	if !n.room[id] {
		return errNoRoom
	}
	return nil
}

// TestStartWithoutRoom: a guest for which the network has no room is not
// started at all (no init launched, nothing attached), with the network's
// error; a guest with room starts.
func TestStartWithoutRoom(t *testing.T) {
	opts, l, nw := fakeOptions(t)
	opts.Network = roomyNetwork{nw, map[string]bool{"alice": true}}
	m := fakeManager(t, opts)
	ctx := context.Background()
	if _, err := m.Open(ctx, "alice", "alice"); err != nil {
		t.Fatalf("Open(alice) with room = %v", err)
	}
	starts := l.starts
	_, err := m.Open(ctx, "bob", "bob")
	if !errors.Is(err, errNoRoom) {
		t.Errorf("Open(bob) without room = %v, want the network's refusal", err)
	}
	if l.starts != starts {
		t.Errorf("Open(bob) without room launched %d inits, want none", l.starts-starts)
	}
	if _, ok := nw.addr("bob"); ok {
		t.Errorf("bob was attached without room")
	}
}
