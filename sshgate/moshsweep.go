package sshgate

import (
	"errors"

	"vmhost/guest"
)

// sweep removes the published ports whose guest no longer has its port
// bound, or is not running. Each guest's UDP tables are read once, without
// p.mu held; a port published meanwhile is left for the next sweep.
func (p *moshPorts) sweep() {
	for guestID, ls := range p.byGuest() {
		want := make(map[uint16]bool, len(ls))
		for _, l := range ls {
			want[l.m.GuestPort] = true
		}
		bound, err := p.boundPorts(guestID, want)
		if err != nil && !errors.Is(err, guest.ErrGuestStopped) && !errors.Is(err, guest.ErrUnknownGuest) {
			p.log.Warn("reading a guest's UDP sockets for mosh", "guest", guestID, "err", err)
			continue
		}
		p.removeUnbound(ls, bound, err != nil)
	}
}

// byGuest returns the published ports by guest.
func (p *moshPorts) byGuest() map[string][]moshLive {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]moshLive)
	for _, l := range p.live {
		out[l.m.Guest] = append(out[l.m.Guest], l)
	}
	return out
}

// boundPorts returns which ports of want the guest has a UDP socket bound
// to, over IPv4 or IPv6. A table too large to read counts every port as
// bound.
func (p *moshPorts) boundPorts(guestID string, want map[uint16]bool) (map[uint16]bool, error) {
	bound := make(map[uint16]bool)
	for _, table := range []string{"udp", "udp6"} {
		f, err := p.opts.Host.OpenNetTable(guestID, table)
		if err != nil {
			return nil, err
		}
		complete := boundUDPPorts(f, want, bound)
		f.Close()
		if !complete {
			return want, nil
		}
	}
	return bound, nil
}

// removeUnbound removes each of ls that is still published and whose guest
// port is not bound, or all of them when the guest stopped.
func (p *moshPorts) removeUnbound(ls []moshLive, bound map[uint16]bool, stopped bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var gone []moshLive
	for _, l := range ls {
		if cur, ok := p.live[l.m.HostPort]; ok && cur.m == l.m && (stopped || !bound[l.m.GuestPort]) {
			gone = append(gone, l)
		}
	}
	reason := "nothing in the guest has the port bound: mosh-server ended"
	if stopped {
		reason = "the guest is not running"
	}
	p.remove(gone, reason)
}
