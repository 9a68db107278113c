package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"vmhost/config"
	"vmhost/fdbudget"
	"vmhost/guest"
	"vmhost/netplumb"
)

// newNetwork returns the guest network the config describes, taking what
// guests make it open from budget (nil: no bound); nothing on the host
// changes until its Start.
func newNetwork(cfg *config.Config, log *slog.Logger, budget *fdbudget.Budget) (*netplumb.Network, error) {
	subnet, err := netip.ParsePrefix(cfg.Network.Subnet)
	if err != nil {
		return nil, fmt.Errorf("network.subnet: %w", err)
	}
	fwds := make([]netplumb.Forward, 0, len(cfg.Network.Forwards))
	for _, f := range cfg.Network.Forwards {
		owner, name, _ := strings.Cut(f.Guest, "+")
		fwds = append(fwds, netplumb.Forward{
			Guest: guest.GuestID(owner, name), Proto: f.Proto,
			HostPort: uint16(f.HostPort), GuestPort: uint16(f.GuestPort),
		})
	}
	return netplumb.New(netplumb.Config{
		Bridge: cfg.Network.Bridge, Subnet: subnet, Subnet6: cfg.Subnet6Prefix(),
		NAT: cfg.NATEnabled(), NAT6: cfg.NAT6Enabled(), Isolate: cfg.IsolateEnabled(), AdoptBridge: cfg.Network.AdoptBridge,
		Forwards: fwds, Logger: log, Budget: budget, Bounds: netBounds(cfg.Network.Bounds),
		DynamicUDP: moshPublished(cfg.SSH),
	})
}

// network runs `vmhostd network teardown`.
func network(args []string) int {
	const line = "vmhostd network teardown --config FILE"
	if len(args) == 0 || args[0] != "teardown" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Printf("Usage: %s\n\n%s", line, teardownHelp)
			return 0
		}
		fmt.Fprintf(os.Stderr, "Usage: %s\n", line)
		return 2
	}
	fs, path := commandFlags("network teardown", line)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\nFlags:\n", line, teardownHelp)
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args[1:]); code >= 0 {
		return code
	}
	cfg, ok := loadConfig(*path)
	if !ok {
		return 1
	}
	if err := teardown(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 1
	}
	fmt.Printf("removed bridge %s, its iptables and ip6tables chains, its nf_tables tables and the lab segments\n", cfg.Network.Bridge)
	return 0
}

const teardownHelp = `Removes everything vmhostd added to the host's network for this config:
the bridge, every guest's veth pair, the iptables and ip6tables chains named
after the bridge with the jumps to them, the bridge family nf_tables table of
the guests' port filters (VMHOST-<bridge>) and the inet family one of their
shares of connection tracking (VMHOST-CT-<bridge>), and the lab segments
(the network namespace at <run_dir>/labnet/ns with their bridges). Running guests lose their network until the
daemon starts again and reattaches them. The daemon must be stopped.
`

// teardown removes the guest network of cfg, once no daemon uses data_dir.
func teardown(cfg *config.Config) error {
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("%w; stop it first", err)
	}
	defer unlock()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	n, err := newNetwork(cfg, log, nil)
	if err != nil {
		return err
	}
	return errors.Join(n.Teardown(), netplumb.NewLabNet(labNetDir(cfg), log).Teardown())
}

// netBounds turns network.bounds into netplumb's.
func netBounds(b config.GuestBounds) netplumb.Bounds {
	return netplumb.Bounds{
		RelayTCP: b.RelayConnections, RelayUDP: b.UDPExchanges,
		DNSConns: b.DNSConnections, DNSQueries: b.DNSQueries, DNSRate: b.DNSAnswersPerSecond,
		Conntrack: b.ConntrackPerGuest,
	}
}

// moshPublished reports whether ssh.mosh_ports publishes ports.
func moshPublished(c config.SSH) bool {
	_, _, ok := c.MoshPortRange()
	return ok
}
