package guest

import "sync"

// Connections counts the SSH connections open to each guest, each of which
// keeps it busy: the SSH server tells it of each one (it is an
// sshgate.Tracker), the idle stopper and the admin API read it.
type Connections struct {
	mu sync.Mutex
	n  map[string]int // by guest id
}

// NewConnections returns a count with no connection.
func NewConnections() *Connections {
	return &Connections{n: map[string]int{}}
}

// Opened counts a connection to owner's guest name.
func (c *Connections) Opened(owner, name string) {
	c.mu.Lock()
	c.n[GuestID(owner, name)]++
	c.mu.Unlock()
}

// Closed counts a connection to owner's guest name as closed.
func (c *Connections) Closed(owner, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := GuestID(owner, name)
	if c.n[id]--; c.n[id] <= 0 {
		delete(c.n, id)
	}
}

// Sessions implements Sessions: the connections open to the guest id.
func (c *Connections) Sessions(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}
