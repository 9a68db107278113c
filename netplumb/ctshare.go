package netplumb

import (
	"errors"
	"fmt"
)

// ConnShares is the seam over the nf_tables table that gives each guest a
// share of the host's connection tracking table (nf_conntrack), so that no
// guest can fill it and leave the others, the host and NAT without room for
// new connections. The table is of the inet family (IPv4 and IPv6 alike),
// one per bridge; its chains at the forward and input hooks drop a new
// connection that enters from the bridge once the guest it comes from holds
// its share. The real one speaks netlink (github.com/google/nftables); tests
// use an in-memory fake.
//
// A guest is told by its source MAC address (ether saddr): the port filter
// lets a guest's frames into the bridge only with its own MAC, fixed per
// guest, so the key is the guest itself, for IPv4 and IPv6 alike, and
// cannot be spoofed or multiplied. The bridge port a frame came in by would
// be as good a key, but at the inet hooks the input interface of bridged-in
// traffic is the bridge itself; its port is known only to the bridge family.
// The MAC of the Ethernet header is still there at the inet hooks for
// traffic that came in by the bridge.
type ConnShares interface {
	// Set makes table hold exactly the chains of s. A table that holds them
	// already is kept, with the connections it counts, so that a restarted
	// daemon's guests keep their counts; otherwise the table is made again
	// in one transaction.
	Set(table string, s connShare) error
	// Teardown removes table; a missing table is not an error.
	Teardown(table string) error
}

// connShare is the share of the host's conntrack table that each guest of a
// bridge may hold.
type connShare struct {
	Bridge string // the interface guests' connections enter the host by
	Max    int    // tracked connections one guest may hold at once
}

// Names inside the conntrack share table.
const (
	connShareSet = "guests" // guest MAC → its connections (ct count)
	// connShareSetSize bounds the set's elements: every port of a full
	// bridge, with room to spare. A guest whose element could not be added
	// would not be bounded, so the set must never fill; only guest MACs
	// pass the port filters.
	connShareSetSize = 4 * (MaxGuests + 1)
)

// connShareHooks are the hooks of the table's chains: forward for
// connections through the host (NAT, other networks), input for those to
// the host (DNS, ping, published ports). A guest's connection makes an
// entry in the host's table on no other path. Each chain runs after the
// filter chains (priority filter + 10): a connection the firewall drops is
// not counted.
var connShareHooks = []string{"forward", "input"}

// closedTCPTimeout is how long, in seconds, the host keeps tracking a
// guest's TCP connection once it is closed (TIME_WAIT, after FIN) or reset
// (CLOSE), instead of the kernel's 120 and 10. A ct count does not count
// closed connections, so without it a guest that opens and closes
// connections in a loop would fill the table with closed ones. A late
// segment of a connection gone from the table is dropped by the firewall.
const closedTCPTimeout = 5

// rules returns the rules of each chain of the table, as nft writes them:
// drop a new connection from the bridge once its guest holds more than
// s.Max, then give the guest's new TCP connections the short timeouts of
// closed ones (a ct timeout object per IP version, named after the timeout).
// They are kept with the rules (as comments) to tell whether a table holds s.
func (s connShare) rules() []string {
	rules := []string{fmt.Sprintf("iifname %q ct state new add @%s { ether saddr ct count over %d } drop", s.Bridge, connShareSet, s.Max)}
	for _, v := range []string{"ipv4", "ipv6"} {
		rules = append(rules, fmt.Sprintf("iifname %q ct state new meta nfproto %s meta l4proto tcp ct timeout set %q",
			s.Bridge, v, closedTCPObject(v)))
	}
	return rules
}

// closedTCPObject names the ct timeout object of the guests' TCP
// connections of IP version v ("ipv4", "ipv6").
func closedTCPObject(v string) string { return fmt.Sprintf("tcp-%s-closed-%ds", v, closedTCPTimeout) }

// connShareTable names the conntrack share table of bridge, in the inet
// family: VMHOST-CT-<bridge>, like the iptables chains and the port filter
// table, so that two daemons with different bridges never touch each
// other's.
func connShareTable(bridge string) string { return "VMHOST-CT-" + bridge }

// connShares keeps the conntrack share table of one bridge.
type connShares struct {
	s     ConnShares
	table string
	share connShare
}

// newConnShares returns the conntrack share table that cfg describes.
func newConnShares(cfg Config) *connShares {
	s := cfg.ConnShares
	if s == nil {
		s = defaultConnShares()
	}
	share := connShare{Bridge: cfg.Bridge, Max: cfg.Bounds.withDefaults().Conntrack}
	return &connShares{s: s, table: connShareTable(cfg.Bridge), share: share}
}

// setup makes the table bound each guest's share.
func (c *connShares) setup() error {
	err := c.s.Set(c.table, c.share)
	if errors.Is(err, errUnsupported) || isNoEntry(err) {
		return fmt.Errorf("setting up conntrack share table %s: %w; each guest's share of the host's connection tracking "+
			"is bounded with nf_tables, and this kernel lacks its inet family or ct count (CONFIG_NF_TABLES_INET, "+
			"CONFIG_NFT_CONNLIMIT, CONFIG_NFT_CT)", c.table, err)
	} else if err != nil {
		return fmt.Errorf("setting up conntrack share table %s: %w", c.table, err)
	}
	return nil
}

// teardown removes the table.
func (c *connShares) teardown() error {
	if err := c.s.Teardown(c.table); err != nil {
		return fmt.Errorf("removing conntrack share table %s: %w", c.table, err)
	}
	return nil
}
