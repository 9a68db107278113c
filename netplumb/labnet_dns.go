package netplumb

import (
	"net/netip"
	"strings"
)

// sibling returns the address of the guest that name, a short guest name
// such as "router.vmhost.", means to a query from src: the guest of that name
// of the owner of the guest at src, so that a student's hosts (s01+pc,
// s01+router) find each other as "router" and "pc" ahead of any user's
// guest called router. It reports false when src is no guest, name has more
// than one label below the domain, or the owner has no such guest. The
// caller holds s.mu.
func (s *dnsServer) sibling(name string, src netip.Addr) (netip.Addr, bool) {
	label, rest, _ := strings.Cut(name, ".")
	id, ok := s.guests[src]
	if !ok || label == "" || rest != Domain+"." {
		return netip.Addr{}, false
	}
	owner, _, _ := strings.Cut(id, "+")
	ip, ok := s.names[guestFQDN(owner+"+"+label)]
	return ip, ok
}

// forgetGuest forgets that the guest at ip is guestID, unless another guest
// holds ip now. The caller holds s.mu.
func (s *dnsServer) forgetGuest(ip netip.Addr, guestID string) {
	if s.guests[ip] == guestID {
		delete(s.guests, ip)
	}
}
