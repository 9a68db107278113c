package netplumb

import (
	"fmt"
	"sync"
)

// MaxGuests is the most guests one bridge holds: a Linux bridge has at most
// 1024 ports and port 0 is reserved (BR_MAX_PORTS). Past it, [Network.Attach]
// fails with [ErrBridgeFull] and the guest does not start until another
// guest stops; a larger host needs a second daemon with a bridge of its own.
// A guest subnet of /22 or smaller holds fewer guest addresses than that
// (1,021 for a /22), and [Allocate] fails first, with [ErrSubnetFull], for
// guests stopped or running alike.
const MaxGuests = 1023

// ErrBridgeFull is returned by [Network.Attach] when the bridge holds
// [MaxGuests] guests already. Its UserMessage says so to the user whose
// guest could not start.
var ErrBridgeFull error = bridgeFullError{}

// bridgeFullError is the type of [ErrBridgeFull].
type bridgeFullError struct{}

func (bridgeFullError) Error() string {
	return fmt.Sprintf("the host's guest network is full: at most %d running guests per bridge", MaxGuests)
}

// UserMessage is what a user whose guest cannot start is told: nothing of
// the host's own names or paths.
func (e bridgeFullError) UserMessage() string {
	return e.Error() + "; log in again once another guest has stopped"
}

// portSlots counts the bridge's ports that guests hold or are being given,
// so that Attach refuses a guest past the bridge's capacity before it makes
// anything (a port filter chain, a veth pair). The kernel's own refusal
// (EXFULL) stays the last word, for ports that are not guests' (an adopted
// bridge's).
type portSlots struct {
	mu   sync.Mutex
	max  int             // ports guests may hold; MaxGuests
	held map[string]bool // guest ID → holds a port or is being given one
}

// newPortSlots returns the slots of a bridge whose guests may hold max ports.
func newPortSlots(max int) *portSlots {
	return &portSlots{max: max, held: make(map[string]bool)}
}

// take takes a port for guest id, which may hold one already (a guest
// attached again); fresh says it did not. Past max it fails with
// [ErrBridgeFull].
func (p *portSlots) take(id string) (fresh bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[id] {
		return false, nil
	}
	if len(p.held) >= p.max {
		return false, ErrBridgeFull
	}
	p.held[id] = true
	return true, nil
}

// room says whether guest id holds a port or would get one.
func (p *portSlots) room(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.held[id] && len(p.held) >= p.max {
		return ErrBridgeFull
	}
	return nil
}

// give gives back the port of guest id; one it does not hold is no error.
func (p *portSlots) give(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.held, id)
}

// giveAll gives back every port, as when the bridge goes.
func (p *portSlots) giveAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.held)
}
