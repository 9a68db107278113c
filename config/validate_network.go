package config

import (
	"fmt"
	"net/netip"
	"strings"
	"vmhost/namerule"
)

// checkBridge wants a name Linux accepts for an interface.
func checkBridge(v *validator) {
	if !validInterfaceName(v.c.Network.Bridge) {
		v.addf("network.bridge", "%q is not a valid interface name; use 1 to 15 characters without /, : or spaces, like %s",
			v.c.Network.Bridge, DefaultBridge)
	}
}

// validInterfaceName is the kernel's dev_valid_name.
func validInterfaceName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r == '/' || r == ':' || r <= ' ' || r == 0x7f
	})
}

// checkSubnet wants an IPv4 network address with a prefix from /8 to /30.
func checkSubnet(v *validator) {
	if msg := subnetProblem(v.c.Network.Subnet); msg != "" {
		v.addf("network.subnet", "%s", msg)
	}
}

// subnetProblem says what is wrong with a subnet, or "".
func subnetProblem(s string) string {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !p.Addr().Is4():
		return fmt.Sprintf("%q is not an IPv4 subnet; write it like %s", s, DefaultSubnet)
	case p.Bits() < 8 || p.Bits() > 30:
		return fmt.Sprintf("%q has a /%d prefix; use a prefix from /8 to /30, like %s", s, p.Bits(), DefaultSubnet)
	case p.Masked() != p:
		return fmt.Sprintf("%q is not the first address of its subnet; write %s (the gateway is the first address after it)", s, p.Masked())
	}
	return ""
}

// checkForwards wants every published port valid, aimed at a known user's
// guest, and published once.
func checkForwards(v *validator) {
	listen, _ := listenPort(v.c.Listen)
	seen := make(map[string]int)
	for i, f := range v.c.Network.Forwards {
		path := fmt.Sprintf("network.forwards[%d]", i)
		checkForward(v, path, f)
		if !validPort(f.HostPort) {
			continue
		}
		key := fmt.Sprintf("%d/%s", f.HostPort, f.Proto)
		if first, dup := seen[key]; dup {
			v.addf(path+".host_port", "%s is already published by network.forwards[%d]; publish each host port once", key, first)
		} else if f.HostPort == listen && f.Proto == "tcp" {
			v.addf(path+".host_port", "%s is the SSH port of listen; pick another host port", key)
		}
		seen[key] = i
	}
}

// checkForward checks the fields of one published port.
func checkForward(v *validator, path string, f Forward) {
	if !validPort(f.HostPort) {
		v.addf(path+".host_port", "%d is not a port; write a number from 1 to 65535", f.HostPort)
	}
	if !validPort(f.GuestPort) {
		v.addf(path+".guest_port", "%d is not a port; write a number from 1 to 65535", f.GuestPort)
	}
	if f.Proto != "tcp" && f.Proto != "udp" {
		v.addf(path+".proto", "%q is not a protocol; write tcp or udp", f.Proto)
	}
	if msg := forwardGuestProblem(v.c, f.Guest); msg != "" {
		v.addf(path+".guest", "%s", msg)
	}
}

// forwardGuestProblem says what is wrong with the guest a port is published
// to, or "". It reads "alice" (alice's default guest, also named alice) and
// "alice+web" as sshgate.ParseLogin does.
func forwardGuestProblem(c *Config, login string) string {
	owner, guest, named := strings.Cut(login, "+")
	if !named {
		guest = owner
	}
	switch {
	case !userName.MatchString(owner):
		return fmt.Sprintf("%q is not a guest: %q is not a valid user name; write a user name (alice) or user+guest (alice+web)", login, owner)
	case !guestName.MatchString(guest):
		return fmt.Sprintf("%q is not a guest: %q is not a valid host name (lower-case letters, digits and -, at most 32); write user+guest, like alice+web", login, guest)
	}
	if _, ok := c.Users[owner]; !ok {
		return fmt.Sprintf("no user named %q; add the user under users: or publish to another user's guest", owner)
	}
	return ""
}

var (
	// userName is what a user name looks like.
	userName = namerule.New("a-z_", "a-z0-9_-", 0, 31)
	// guestName is what a guest name, also its host name, looks like; the same
	// rule as sshgate's.
	guestName = namerule.New("a-z0-9", "a-z0-9-", 0, 31)
)
