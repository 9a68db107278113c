package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"vmhost/config"
)

// Node is the assignments of a daemon as its admin API serves them:
// checked against the configuration in use and the host, bounded by
// cluster.max_guests.
type Node struct {
	Store *Store
	// Config is the configuration in use.
	Config func() *config.Config
	// Host is what limits are checked against.
	Host config.Host
	// Changed, when set, is told of an assignment that replaced one with
	// other limits, to apply them to the running guest.
	Changed func(a Assignment)
	// IPv6 returns the IPv6 address of the guest at an IPv4 address;
	// nil or an invalid address: none.
	IPv6 func(ip netip.Addr) netip.Addr
	// Open makes the guest from its image if it is not made yet, and
	// starts it if it does not run, as a login does.
	Open func(ctx context.Context, owner, name string) error
}

// Start makes and starts owner's assigned guest name (see Node.Open).
func (n *Node) Start(ctx context.Context, owner, name string) error {
	if _, ok := n.Store.Get(owner, name); !ok {
		return fmt.Errorf("%w: %s", ErrNotAssigned, Assignment{Owner: owner, Name: name}.ID())
	}
	if n.Open == nil {
		return errors.New("this node cannot start guests")
	}
	return n.Open(ctx, owner, name)
}

// Assign checks and records a, and returns it as recorded: without an
// image, a gets the node's default (defaults.image).
func (n *Node) Assign(a Assignment) (Assignment, error) {
	cfg := n.Config()
	if a.Image == "" {
		a.Image = cfg.Defaults.Image
	}
	if err := a.Check(cfg, n.Host); err != nil {
		return Assignment{}, err
	}
	old, replaced, err := n.Store.Assign(a, cfg.Cluster.MaxGuests)
	if err != nil {
		return Assignment{}, err
	}
	if replaced && old.Limits != a.Limits && n.Changed != nil {
		n.Changed(a)
	}
	return a, nil
}

// Unassign drops the assignment of owner's guest name.
func (n *Node) Unassign(owner, name string) (Assignment, error) {
	return n.Store.Unassign(owner, name)
}

// List returns every assignment.
func (n *Node) List() []Assignment { return n.Store.List() }

// Address6 returns the IPv6 address of the guest at ip, if it has one.
func (n *Node) Address6(ip netip.Addr) netip.Addr {
	if n.IPv6 == nil {
		return netip.Addr{}
	}
	return n.IPv6(ip)
}
