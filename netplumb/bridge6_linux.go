package netplumb

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ensureBridge6 gives the bridge br IPv6 with the gateway address of subnet6
// and no other global address, never learning anything from a router
// advertisement, autoconfiguration or a redirect that arrives on it (the
// port filters drop those from guests anyway). The zero subnet6 turns IPv6
// off on the bridge instead, so that the host has no address there.
// Equivalent to: sysctl -w net.ipv6.conf.BR.accept_ra=0 (and autoconf=0,
// accept_redirects=0, disable_ipv6=0); ip addr replace GW6/64 dev BR nodad;
// ip addr del OLD dev BR
func ensureBridge6(h *netlink.Handle, br netlink.Link, subnet6 netip.Prefix) error {
	name := br.Attrs().Name
	if !subnet6.IsValid() {
		return disableIPv6(name)
	}
	for _, key := range []string{"accept_ra", "autoconf", "accept_redirects", "disable_ipv6"} {
		if err := setSysctl(filepath.Join("ipv6/conf", name, key), "0"); err != nil {
			return fmt.Errorf("turning on IPv6 on %s: %w; is IPv6 turned off in this kernel (ipv6.disable=1)?", name, err)
		}
	}
	want := netip.PrefixFrom(Gateway6(subnet6), 64)
	addrs, err := dump(func() ([]netlink.Addr, error) { return h.AddrList(br, netlink.FAMILY_V6) })
	if err != nil {
		return fmt.Errorf("listing IPv6 addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if p, _ := prefixOf(a.IPNet); p != want && !p.Addr().IsLinkLocalUnicast() {
			if err := h.AddrDel(br, &a); err != nil {
				return fmt.Errorf("removing old address %s from %s: %w", a.IPNet, name, err)
			}
		}
	}
	addr := &netlink.Addr{IPNet: ipNet(want), Flags: unix.IFA_F_NODAD}
	if err := h.AddrReplace(br, addr); err != nil {
		return fmt.Errorf("adding address %s to %s: %w", want, name, err)
	}
	return nil
}

// enableForwarding6 turns on IPv6 forwarding. A host that forwards ignores
// router advertisements on every interface whose accept_ra is 1, which
// would cost a host that learns its own IPv6 route by SLAAC that route; so,
// when forwarding is off still, each such interface (and the default for new
// ones) first gets accept_ra 2, which accepts them while forwarding, as LXD
// does. The bridge's accept_ra is 0 already.
// Equivalent to: sysctl -w net.ipv6.conf.IFACE.accept_ra=2 (each at 1);
// sysctl -w net.ipv6.conf.all.forwarding=1
func enableForwarding6() error {
	if on, err := os.ReadFile(filepath.Join(procSys, "ipv6/conf/all/forwarding")); err == nil && strings.TrimSpace(string(on)) == "1" {
		return nil
	}
	dirs, err := os.ReadDir(filepath.Join(procSys, "ipv6/conf"))
	if err != nil {
		return fmt.Errorf("listing IPv6 interfaces: %w", err)
	}
	for _, d := range dirs {
		key := filepath.Join("ipv6/conf", d.Name(), "accept_ra")
		if v, err := os.ReadFile(filepath.Join(procSys, key)); err == nil && strings.TrimSpace(string(v)) == "1" && d.Name() != "all" {
			if err := setSysctl(key, "2"); err != nil {
				return err
			}
		}
	}
	return setSysctl("ipv6/conf/all/forwarding", "1")
}
