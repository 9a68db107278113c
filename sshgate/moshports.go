package sshgate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Defaults of MoshOptions.
const (
	// DefaultMoshPerGuest bounds the mosh ports published for one guest.
	DefaultMoshPerGuest = 8
	// DefaultMoshInterval is how often the guests' UDP sockets are looked
	// at to remove the mappings of mosh-servers that ended.
	DefaultMoshInterval = 15 * time.Second
)

// moshMaxTries bounds the host ports tried for one mapping.
const moshMaxTries = 64

// MoshMapping is the publication of a mosh-server's UDP port: host port
// HostPort reaches GuestPort of the guest's IPv4 address, for packets from
// Client alone.
type MoshMapping struct {
	Guest     string // the guest's ID (guest.GuestID)
	Client    netip.Addr
	HostPort  uint16
	GuestPort uint16
}

// ErrMoshPortInUse is returned by MoshHost.MapUDP for a host port that is
// taken; another one is tried.
var ErrMoshPortInUse = errors.New("the host port is in use")

// MoshHost is what publishing mosh-server's ports needs of the rest of the
// daemon, which adapts its guest network and guest manager to it.
type MoshHost interface {
	// MapUDP publishes m, or fails with ErrMoshPortInUse when its host
	// port is taken.
	MapUDP(m MoshMapping) error
	// UnmapUDP removes ms; a mapping that is gone is no error.
	UnmapUDP(ms ...MoshMapping) error
	// OpenNetTable opens /proc/net/TABLE ("udp", "udp6") of the guest's
	// network namespace, or fails with guest.ErrGuestStopped or
	// guest.ErrUnknownGuest when the guest is not running.
	OpenNetTable(guestID, table string) (io.ReadCloser, error)
}

// MoshOptions configure the publication of mosh-server's ports.
type MoshOptions struct {
	// Host publishes ports; nil publishes none, and mosh-server's output
	// passes unchanged.
	Host MoshHost
	// FirstPort and LastPort are the host UDP ports to publish on
	// (ssh.mosh_ports); 0 publishes none.
	FirstPort, LastPort uint16
	// PerGuest bounds the ports published for one guest at once;
	// DefaultMoshPerGuest when zero.
	PerGuest int
	// Interval is how often published ports are checked;
	// DefaultMoshInterval when zero.
	Interval time.Duration
}

// moshPorts are the mosh-server ports published: each from the MOSH
// CONNECT line of a session until the guest no longer has the port bound,
// the guest stops, or the daemon stops.
type moshPorts struct {
	opts MoshOptions
	log  *slog.Logger

	mu   sync.Mutex
	live map[uint16]moshLive // by host port
	next uint16              // the host port to try first
}

// moshLive is a published port and the audit log of the connection that
// made it.
type moshLive struct {
	m     MoshMapping
	audit *slog.Logger
}

// newMoshPorts returns the published ports of opts; nil when opts
// publishes none.
func newMoshPorts(opts MoshOptions, log *slog.Logger) *moshPorts {
	if opts.Host == nil || opts.FirstPort == 0 || opts.LastPort < opts.FirstPort {
		return nil
	}
	opts.PerGuest = orDefault(opts.PerGuest, DefaultMoshPerGuest)
	opts.Interval = orDefault(opts.Interval, DefaultMoshInterval)
	return &moshPorts{opts: opts, log: log, live: make(map[uint16]moshLive), next: opts.FirstPort}
}

// publish publishes guestPort of guestID to client on a free host port and
// returns it, writing an audit line to audit. It returns false, with one
// warning, when it cannot: a client that is not IPv4, a guest with
// PerGuest ports published, no free host port, a mapping the host refuses.
func (p *moshPorts) publish(audit *slog.Logger, guestID string, client netip.Addr, guestPort uint16) (uint16, bool) {
	m := MoshMapping{Guest: guestID, Client: client.Unmap(), GuestPort: guestPort}
	hostPort, err := p.mapPort(audit, m)
	if err != nil {
		audit.Warn("mosh port", "outcome", "refused", "guest_port", guestPort, "reason", err.Error())
		return 0, false
	}
	audit.Info("mosh port", "outcome", "published", "host_port", hostPort, "guest_port", guestPort, "client", m.Client.String())
	return hostPort, true
}

// mapPort checks the bounds and publishes m on a free host port.
func (p *moshPorts) mapPort(audit *slog.Logger, m MoshMapping) (uint16, error) {
	if !m.Client.Is4() {
		return 0, fmt.Errorf("the client's address %v is not IPv4; mosh-server's port is published over IPv4 only", m.Client)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replaced(m)
	if err := p.bounded(m.Guest); err != nil {
		return 0, err
	}
	return p.mapFree(audit, m)
}

// replaced removes a mapping of the same guest port of the same guest: the
// port is bound again, by the mosh-server that printed the new line, so the
// older one ended. The caller holds p.mu.
func (p *moshPorts) replaced(m MoshMapping) {
	for _, l := range p.live {
		if l.m.Guest == m.Guest && l.m.GuestPort == m.GuestPort {
			p.remove([]moshLive{l}, "the guest port was published again")
		}
	}
}

// bounded says why no port may be published for guestID now, if so. The
// caller holds p.mu.
func (p *moshPorts) bounded(guestID string) error {
	n := 0
	for _, l := range p.live {
		if l.m.Guest == guestID {
			n++
		}
	}
	switch {
	case n >= p.opts.PerGuest:
		return fmt.Errorf("the guest has %d mosh ports published already, the most it may", n)
	case len(p.live) >= p.size():
		return fmt.Errorf("all %d host ports of ssh.mosh_ports are published", p.size())
	}
	return nil
}

// size is the number of host ports.
func (p *moshPorts) size() int { return int(p.opts.LastPort) - int(p.opts.FirstPort) + 1 }

// mapFree publishes m on the next host port that is free, trying at most
// moshMaxTries. The caller holds p.mu.
func (p *moshPorts) mapFree(audit *slog.Logger, m MoshMapping) (uint16, error) {
	first, size := int(p.opts.FirstPort), p.size()
	for i, tried := 0, 0; i < size && tried < moshMaxTries; i++ {
		port := uint16(first + (int(p.next)-first+i)%size)
		if _, ok := p.live[port]; ok {
			continue
		}
		tried++
		m.HostPort = port
		err := p.opts.Host.MapUDP(m)
		if errors.Is(err, ErrMoshPortInUse) {
			continue
		}
		if err != nil {
			return 0, err
		}
		p.live[port] = moshLive{m: m, audit: audit}
		p.next = uint16(first + (int(port)-first+1)%size)
		return port, nil
	}
	return 0, errors.New("no free host port in ssh.mosh_ports")
}

// remove unpublishes ls, writing an audit line for each with reason.
// When the host fails, all are kept and tried again at the next check
// (those it removed are no-ops then). The caller holds p.mu.
func (p *moshPorts) remove(ls []moshLive, reason string) {
	if len(ls) == 0 {
		return
	}
	ms := make([]MoshMapping, len(ls))
	for i, l := range ls {
		ms[i] = l.m
	}
	if err := p.opts.Host.UnmapUDP(ms...); err != nil {
		p.log.Warn("removing mosh ports", "ports", len(ms), "err", err)
		return
	}
	for _, l := range ls {
		delete(p.live, l.m.HostPort)
		l.audit.Info("mosh port", "outcome", "removed", "host_port", l.m.HostPort, "guest_port", l.m.GuestPort,
			"client", l.m.Client.String(), "reason", reason)
	}
}

// start checks the published ports every Interval until stop is called,
// which removes them all and returns when they are.
func (p *moshPorts) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				p.removeAll("the daemon is stopping")
				return
			case <-t.C:
				p.sweep()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// removeAll removes every published port.
func (p *moshPorts) removeAll(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove(slices.Collect(maps.Values(p.live)), reason)
}
