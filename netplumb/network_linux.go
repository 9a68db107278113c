package netplumb

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Network is the guest network of one daemon: its bridge, its firewall
// chains, its DNS server and the guests attached to it. It works in the network
// namespace of the daemon, the host's.
//
// Attach and Detach may run concurrently for different guests, not for the
// same guest.
type Network struct {
	cfg   Config
	log   *slog.Logger
	dns   *dnsServer
	relay *relay

	pf    *portFilter
	cs    *connShares
	slots *portSlots // the bridge's ports guests hold

	mu       sync.Mutex
	fw, fw6  *firewall
	attached map[string]netip.Addr // guest ID → address
	dyn      map[uint16]dynEntry   // host port → dynamic mapping (see MapUDP)
}

// New checks cfg and returns the network it describes. It changes nothing on
// the host.
func New(cfg Config) (*Network, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("guest network: %w", err)
	}
	if cfg.ResolvConf == "" {
		cfg.ResolvConf = defaultResolvConf
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("bridge", cfg.Bridge)
	up := &hostResolvers{path: cfg.ResolvConf, exclude: Gateway(cfg.Subnet)}
	n := &Network{
		cfg: cfg, log: log,
		dns:      newDNSServer(log, cfg.Subnet, cfg.Subnet6, up.list, cfg.Budget, cfg.Bounds),
		attached: make(map[string]netip.Addr),
		dyn:      make(map[uint16]dynEntry),
	}
	n.relay = newRelay(log, n.address, cfg.Budget, cfg.Bounds)
	filter := cfg.Filter
	if filter == nil {
		filter = nfTables{}
	}
	n.pf = &portFilter{f: filter, table: filterTable(cfg.Bridge)}
	n.cs = newConnShares(cfg)
	n.slots = newPortSlots(MaxGuests)
	return n, nil
}

// address returns the address of an attached guest.
func (n *Network) address(guestID string) (netip.Addr, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ip, ok := n.attached[guestID]
	return ip, ok
}

// Gateway returns the address of the bridge, the guests' default route and
// DNS server.
func (n *Network) Gateway() netip.Addr { return Gateway(n.cfg.Subnet) }

// Allocate returns the lowest free guest address of the subnet; used marks
// the addresses guests hold. See [Allocate].
func (n *Network) Allocate(used map[netip.Addr]bool) (netip.Addr, error) {
	return Allocate(n.cfg.Subnet, used)
}

// Contains reports whether ip is a guest address of the subnet: not the
// network address, the gateway or the broadcast address.
func (n *Network) Contains(ip netip.Addr) bool {
	return checkGuestAddr(n.cfg.Subnet, ip) == nil
}

// ResolvConf returns the guests' /etc/resolv.conf: the DNS server on the
// gateway. See [ResolvConf].
func (n *Network) ResolvConf() []byte { return ResolvConf(n.Gateway()) }

// Start makes the host ready for guests, in order: it checks that a bridge
// of that name is vmhost's own or adopted (Config.AdoptBridge), and that no
// interface or route of the host but the bridge overlaps the subnet; takes the
// published host ports (failing if one is taken) to relay guests' connections
// to them; creates the bridge with the gateway address if it is missing; sets
// up the port filter table, keeping the chains of ports that still exist; turns
// on IPv4 forwarding if NAT is on or ports are published; rebuilds the
// firewall chains; does the same for IPv6 with Subnet6;
// and serves DNS on the gateway (and PREFIX::1).
// Running it again, as a restarted daemon does, duplicates nothing. The
// published ports of running guests come back when they are attached again.
func (n *Network) Start() error {
	if err := n.start(); err != nil {
		return fmt.Errorf("starting guest network on %s: %w", n.cfg.Bridge, err)
	}
	n.log.Info("guest network ready", "subnet", n.cfg.Subnet, "gateway", n.Gateway(), "nat", n.cfg.NAT, "isolate", n.cfg.Isolate,
		"subnet6", n.cfg.Subnet6, "nat6", n.cfg.NAT6)
	return nil
}

func (n *Network) start() (err error) {
	h, err := hostHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	if err := n.checkBridge(h); err != nil {
		return err
	}
	nets, err := hostNets(h)
	if err != nil {
		return err
	}
	if err := checkOverlap(n.cfg.Subnet, nets, n.cfg.Bridge); err != nil {
		return err
	}
	if err := n.checkOverlap6(nets); err != nil {
		return err
	}
	if err := n.relay.start(n.cfg.Forwards); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			n.relay.close()
		}
	}()
	if _, err := ensureBridge(h, n.cfg.Bridge, n.cfg.Subnet, n.cfg.Subnet6); err != nil {
		return err
	}
	if err := n.pf.setup(); err != nil {
		return err
	}
	linkExists := func(name string) bool { _, err := h.LinkByName(name); return !isNotFound(err) }
	if err := n.pf.prune(linkExists); err != nil {
		return err
	}
	if err := n.cs.setup(); err != nil {
		return err
	}
	if err := n.setSysctls(); err != nil {
		return err
	}
	if err := n.setupFirewall(); err != nil {
		return err
	}
	if err := n.start6(); err != nil {
		return err
	}
	return n.dns.start(n.Gateway(), n.Gateway6())
}

// setupFirewall rebuilds the daemon's chains.
func (n *Network) setupFirewall() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	fw, err := n.firewall()
	if err != nil {
		return err
	}
	if err := fw.setup(baseRules(fw.chains, &n.cfg)); err != nil {
		return err
	}
	return n.setupDynamic(fw)
}

// setSysctls turns on what NAT and published ports need, and strict
// reverse-path filtering on the bridge.
func (n *Network) setSysctls() error {
	if err := strictReversePath(n.cfg.Bridge); err != nil {
		return err
	}
	if len(n.cfg.Forwards) > 0 {
		if err := enableRouteLocalnet(n.cfg.Bridge); err != nil {
			return err
		}
	}
	if n.cfg.NAT || len(n.cfg.Forwards) > 0 || n.cfg.DynamicUDP {
		return setSysctl("ipv4/ip_forward", "1")
	}
	return nil
}

// Attach gives the guest whose network namespace is at nsPath (such as
// /proc/PID/ns/net of its init) its network: a veth pair whose host end is a
// port of the bridge and whose other end, created directly in the guest's
// namespace, is the guest's eth0 with address ip (and its IPv6 address, see
// [Address6]), lo up, default routes via the gateway, the guest's DNS name and its published ports. Attaching a guest
// that is attached already, as a restarted daemon does, repairs what is
// missing and keeps the guest's connections. A guest past [MaxGuests]
// attached ones fails with [ErrBridgeFull] before anything is made for it;
// so does one the kernel finds no free port for (an adopted bridge may hold
// ports of others), once its veth pair is removed again.
func (n *Network) Attach(guestID string, ip netip.Addr, nsPath string) error {
	if err := n.attach(guestID, ip, nsPath); err != nil {
		return fmt.Errorf("attaching guest %s to %s: %w", guestID, n.cfg.Bridge, err)
	}
	return nil
}

func (n *Network) attach(guestID string, ip netip.Addr, nsPath string) (err error) {
	if err := checkGuestAddr(n.cfg.Subnet, ip); err != nil {
		return err
	}
	fresh, err := n.slots.take(guestID)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && fresh {
			n.slots.give(guestID)
		}
	}()
	if err := n.pf.admit(vethName(n.cfg.Bridge, guestID), ip, n.Address6(ip)); err != nil {
		return err
	}
	if err := n.plug(guestID, ip, nsPath); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.publish(guestID, ip); err != nil {
		return err
	}
	n.attached[guestID] = ip
	n.dns.setName(guestID, ip)
	n.log.Debug("attached guest", "guest", guestID, "ip", ip, "veth", vethName(n.cfg.Bridge, guestID))
	return nil
}

// plug creates or repairs the guest's links.
func (n *Network) plug(guestID string, ip netip.Addr, nsPath string) error {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", nsPath, err)
	}
	defer ns.Close()
	gh, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("opening netlink in %s: %w", nsPath, err)
	}
	defer gh.Close()
	h, err := hostHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	br, err := findBridge(h, n.cfg.Bridge)
	if err == nil && br == nil {
		err = fmt.Errorf("bridge %s does not exist; start the network first", n.cfg.Bridge)
	}
	if err != nil {
		return err
	}
	name := vethName(n.cfg.Bridge, guestID)
	created, err := plugGuest(h, gh, br, name, ns, n.cfg.Isolate, GuestMAC(ip))
	if err != nil {
		return err
	}
	err = configureGuest(gh, ip, n.cfg.Subnet, n.cfg.Subnet6)
	if err == nil {
		err = waitOperUp(gh, ns, guestIface)
	}
	if err != nil {
		if created {
			deleteLink(h, name)
		}
		return err
	}
	return nil
}

// publish adds the DNAT rules of the guest's published ports, removing those
// of an older address. The caller holds n.mu.
func (n *Network) publish(guestID string, ip netip.Addr) error {
	if old, ok := n.attached[guestID]; ok && old != ip {
		if err := n.unpublish(guestID, old); err != nil {
			return err
		}
	}
	return n.eachForward(guestID, ip, "publishing", func(fw *firewall, r rule) error { return fw.ensure(r, false) })
}

// unpublish removes the DNAT rules of the guest at ip. The caller holds n.mu.
func (n *Network) unpublish(guestID string, ip netip.Addr) error {
	return n.eachForward(guestID, ip, "unpublishing", (*firewall).remove)
}

// eachForward applies op to the DNAT rule of each published port of the
// guest at ip; verb names what op does in an error. The caller holds n.mu.
func (n *Network) eachForward(guestID string, ip netip.Addr, verb string, op func(*firewall, rule) error) error {
	fs := n.cfg.forwardsOf(guestID)
	if len(fs) == 0 {
		return nil
	}
	fw, err := n.firewall()
	if err != nil {
		return err
	}
	for _, f := range fs {
		if err := op(fw, forwardRule(fw.chains, f, ip)); err != nil {
			return fmt.Errorf("%s port %d/%s: %w", verb, f.HostPort, f.Proto, err)
		}
	}
	return n.eachForward6(fs, ip, verb, op)
}

// Detach removes the guest's network: its published ports, its DNS name, its
// port filter and its veth pair (the guest's eth0 goes with the host end). Detaching a guest
// that is not attached is not an error.
func (n *Network) Detach(guestID string) error {
	if err := n.detach(guestID); err != nil {
		return fmt.Errorf("detaching guest %s from %s: %w", guestID, n.cfg.Bridge, err)
	}
	return nil
}

func (n *Network) detach(guestID string) error {
	n.mu.Lock()
	ip, ok := n.attached[guestID]
	var err error
	var gone []dynEntry
	if ok {
		var dynErr error
		gone, dynErr = n.unmapGuest(guestID)
		err = errors.Join(n.unpublish(guestID, ip), dynErr)
		delete(n.attached, guestID)
	}
	n.dns.removeName(guestID)
	n.mu.Unlock()
	n.forgetAll(gone)
	h, herr := hostHandle()
	if herr != nil {
		return errors.Join(err, herr)
	}
	defer h.Close()
	name := vethName(n.cfg.Bridge, guestID)
	linkErr := deleteLink(h, name)
	if linkErr == nil {
		n.slots.give(guestID) // its port is gone
	}
	return errors.Join(err, linkErr, n.pf.forget(name))
}

// Close stops the DNS server and the relay of published ports. The bridge, the
// rules and the guests' links stay, so that running guests keep their network
// while the daemon restarts; until it is back, guests get no DNS answers and
// cannot reach published ports (other machines and the host still can).
func (n *Network) Close() error {
	n.dns.close()
	n.relay.close()
	return nil
}

// Teardown removes everything the daemon added to the host's network: the
// jumps to its chains, the chains, the bridge filter table, the conntrack
// share table, every guest's veth pair and the bridge. It
// leaves net.ipv4.ip_forward as it is, since other software may rely on it.
// It needs no Start and is a no-op when everything is gone already.
func (n *Network) Teardown() error {
	n.Close()
	n.mu.Lock()
	defer n.mu.Unlock()
	fw, err := n.firewall()
	if err == nil {
		err = fw.teardown()
		err = errors.Join(err, n.teardownDynamic(fw))
	}
	err = errors.Join(err, n.teardown6(), n.pf.teardown(), n.cs.teardown())
	h, herr := hostHandle()
	if herr != nil {
		return errors.Join(err, herr)
	}
	defer h.Close()
	err = errors.Join(err, n.removeBridge(h))
	for id := range n.attached {
		n.dns.removeName(id)
	}
	clear(n.attached)
	n.slots.giveAll()
	if err != nil {
		return fmt.Errorf("removing guest network %s: %w", n.cfg.Bridge, err)
	}
	n.log.Info("guest network removed")
	return nil
}

// firewall returns the firewall, finding iptables the first time. The caller
// holds n.mu.
func (n *Network) firewall() (*firewall, error) {
	if n.fw != nil {
		return n.fw, nil
	}
	t := n.cfg.Tables
	if t == nil {
		var err error
		if t, err = newIPTables(); err != nil {
			return nil, err
		}
	}
	n.fw = &firewall{t: t, chains: chainsFor(n.cfg.Bridge)}
	return n.fw, nil
}

// hostHandle opens netlink in the daemon's network namespace.
func hostHandle() (*netlink.Handle, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink: %w", err)
	}
	return h, nil
}
