package config

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultMoshPorts is the default of ssh.mosh_ports: mosh's own range.
const DefaultMoshPorts = "60000-60999"

// minMoshPort is the lowest port ssh.mosh_ports may name: no well-known
// port is ever published for mosh.
const minMoshPort = 1024

// MoshPortRange returns the host UDP ports of ssh.mosh_ports, first and
// last; ok is false when mosh's ports are not published ("none", empty).
// The value is checked at load: call it on a loaded config.
func (s SSH) MoshPortRange() (first, last uint16, ok bool) {
	first, last, err := parsePortRange(s.MoshPorts)
	return first, last, err == nil && first != 0
}

// parsePortRange reads "FIRST-LAST" or "PORT"; "none" and "" are 0, 0.
func parsePortRange(s string) (first, last uint16, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if !isRange {
		b = a
	}
	lo, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 16)
	hi, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 16)
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("%q is not a port range; write it like %s, or none", s, DefaultMoshPorts)
	case lo < minMoshPort || hi < lo:
		return 0, 0, fmt.Errorf("%q is out of range; write FIRST-LAST with %d <= FIRST <= LAST <= 65535, like %s, or none", s, minMoshPort, DefaultMoshPorts)
	}
	return uint16(lo), uint16(hi), nil
}

// defaultMosh fills in ssh.mosh_ports when the file leaves it out; written
// empty, it stays empty: mosh's ports are not published.
func defaultMosh(c *Config, r *report) {
	if c.SSH.MoshPorts == "" && !r.has("ssh.mosh_ports") {
		c.SSH.MoshPorts = DefaultMoshPorts
	}
}

// checkMosh wants ssh.mosh_ports a port range or none.
func checkMosh(v *validator) {
	if _, _, err := parsePortRange(v.c.SSH.MoshPorts); err != nil {
		v.addf("ssh.mosh_ports", "%v", err)
	}
}
