package guestinit

import (
	"net"
	"net/netip"
	"vmhost/protocol"
)

// touchesGuestFiles says whether making req's socket involves the guest's
// files: a unix socket's path, or a host name that the resolver looks up in
// the guest's /etc/hosts, /etc/nsswitch.conf and /etc/resolv.conf. An IP
// address, or none, involves nothing but the guest's network.
func touchesGuestFiles(req *protocol.Request) bool {
	if req.Network == "unix" {
		return true
	}
	host, _, err := net.SplitHostPort(req.Address)
	if err != nil || host == "" {
		return false // an error of net.Dial or net.Listen's own, or no host
	}
	_, err = netip.ParseAddr(host)
	return err != nil
}
