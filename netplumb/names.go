package netplumb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

// Domain is the DNS domain of guest names: alice's default guest is
// alice.vmhost, her guest web is web.alice.vmhost.
const Domain = "vmhost"

// guestIface is the name of the guest's end of its veth pair.
const guestIface = "eth0"

// vethName returns the host end's name of guestID's veth pair on bridge: "vh"
// and 12 hex digits of a hash, 14 characters, within the kernel's 15. The
// bridge is part of the hash so that two daemons with guests of the same name
// do not collide.
func vethName(bridge, guestID string) string {
	sum := sha256.Sum256([]byte(bridge + "\x00" + guestID))
	return "vh" + hex.EncodeToString(sum[:6])
}

// guestFQDN returns the DNS name of a guest, fully qualified and lower case:
// "alice" is alice.vmhost., "alice+web" is web.alice.vmhost.
func guestFQDN(guestID string) string {
	owner, name, named := strings.Cut(strings.ToLower(guestID), "+")
	if !named || name == owner {
		return owner + "." + Domain + "."
	}
	return name + "." + owner + "." + Domain + "."
}

// ResolvConf returns the content of /etc/resolv.conf for a guest: the DNS
// server on the gateway, and the guest domain as search domain so that
// "web.alice" and "alice" resolve too.
func ResolvConf(gateway netip.Addr) []byte {
	return fmt.Appendf(nil, "nameserver %s\nsearch %s\n", gateway, Domain)
}

// chains names the daemon's own iptables chains, one set per bridge so that
// two daemons with different bridges never touch each other's rules.
type chains struct {
	Forward string // filter table, jumped to from FORWARD
	Input   string // filter table, jumped to from INPUT
	NAT     string // nat table, jumped to from POSTROUTING
	DNAT    string // nat table, jumped to from PREROUTING and OUTPUT
}

// maxChainName is iptables' limit on a chain name.
const maxChainName = 28

// chainsFor returns the chain names of bridge: VMHOST-<bridge>-FWD and so on,
// at most 7+15+5 = 27 characters.
func chainsFor(bridge string) chains {
	p := "VMHOST-" + bridge + "-"
	return chains{Forward: p + "FWD", Input: p + "IN", NAT: p + "NAT", DNAT: p + "DNAT"}
}

// checkBridgeName wants a name that is a valid interface name and also safe
// inside an iptables chain name.
func checkBridgeName(name string) error {
	ok := name != "" && len(name) <= 15 && !strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	})
	if !ok || name == "." || name == ".." {
		return fmt.Errorf("bridge name %q is not usable; use 1 to 15 letters, digits, '-', '_' or '.', like vmhost0", name)
	}
	return nil
}

// HostVeth returns the name of the host end of guestID's veth pair on
// bridge, whose counters tell the guest's traffic.
func HostVeth(bridge, guestID string) string { return vethName(bridge, guestID) }
