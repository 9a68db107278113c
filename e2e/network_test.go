package e2e

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
)

// gateway is the first address of the daemon's subnet, on its bridge.
func (d *daemon) gateway(t testing.TB) netip.Addr {
	t.Helper()
	return netip.MustParsePrefix(d.cfg.subnet).Addr().Next()
}

// inetRE matches the address of `ip -4 -o addr show dev eth0`.
var inetRE = regexp.MustCompile(`inet (\d+\.\d+\.\d+\.\d+)/(\d+)`)

// guestAddr returns the address of eth0 in the guest login lands in.
func (d *daemon) guestAddr(t testing.TB, login string) netip.Addr {
	t.Helper()
	out := d.mustSSH(t, login, "ip -4 -o addr show dev eth0")
	m := inetRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: no IPv4 address on eth0: %q", login, out)
	}
	return netip.MustParseAddr(m[1])
}

// ourRules returns the iptables rules of every table that name the daemon's
// chains, sorted as iptables -S prints them.
func (d *daemon) ourRules(t testing.TB) []string {
	t.Helper()
	var rules []string
	for _, table := range []string{"filter", "nat"} {
		out, err := exec.Command("iptables", "-w", "-t", table, "-S").CombinedOutput()
		if err != nil {
			t.Fatalf("iptables -t %s -S: %v\n%s", table, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "VMHOST-"+d.cfg.bridge+"-") {
				rules = append(rules, table+": "+line)
			}
		}
	}
	return rules
}

// ourFilter returns the chains of the daemon's nf_tables table (bridge
// family, VMHOST-<bridge>) with their count of rules.
// Equivalent to: nft list table bridge VMHOST-BRIDGE
func (d *daemon) ourFilter(t testing.TB) map[string]int {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	table := &nftables.Table{Name: "VMHOST-" + d.cfg.bridge, Family: nftables.TableFamilyBridge}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyBridge)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, ch := range chains {
		if ch.Table.Name != table.Name {
			continue
		}
		rules, err := c.GetRules(table, ch)
		if err != nil {
			t.Fatal(err)
		}
		got[ch.Name] = len(rules)
	}
	return got
}

// TestNetworkGuestAddress checks a guest's network as its root sees it: eth0
// with an address of the subnet, the default route through the gateway, the
// gateway as DNS server, ping to it; the address stays across a restart of
// the daemon, which duplicates no rule.
func TestNetworkGuestAddress(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	gw := d.gateway(t)
	ip := d.guestAddr(t, "alice")
	subnet := netip.MustParsePrefix(d.cfg.subnet)
	if !subnet.Contains(ip) || ip == gw {
		t.Errorf("eth0 has %v, want a guest address of %v", ip, subnet)
	}
	if out := d.mustSSH(t, "alice", "ip -4 -o addr show dev eth0"); !strings.Contains(out, fmt.Sprintf("/%d", subnet.Bits())) {
		t.Errorf("eth0: %q, want prefix length /%d", out, subnet.Bits())
	}
	if out := d.mustSSH(t, "alice", "ip route"); !strings.Contains(out, "default via "+gw.String()+" dev eth0") {
		t.Errorf("ip route: %q, want default via %v dev eth0", out, gw)
	}
	if out := d.mustSSH(t, "alice", "cat /etc/resolv.conf"); !strings.Contains(out, "nameserver "+gw.String()+"\n") {
		t.Errorf("/etc/resolv.conf: %q, want nameserver %v", out, gw)
	}
	if out, errOut, code := d.ssh(t, "alice", "ping -c 1 -W 5 "+gw.String()); code != 0 {
		t.Errorf("ping %v from the guest: exit %d: %s %s", gw, code, out, errOut)
	}

	rules := d.ourRules(t)
	if len(rules) == 0 {
		t.Fatalf("no iptables rule names the chains of bridge %s", d.cfg.bridge)
	}
	filter := d.ourFilter(t)
	if len(filter) != 2 { // the base chain and alice's port
		t.Errorf("nf_tables table of bridge %s: chains %v, want the base chain and alice's port", d.cfg.bridge, filter)
	}
	d.stop(t)
	d.start(t)
	if got := d.guestAddr(t, "alice"); got != ip {
		t.Errorf("after a daemon restart, eth0 has %v, want %v", got, ip)
	}
	if after := d.ourRules(t); strings.Join(after, "\n") != strings.Join(rules, "\n") {
		t.Errorf("rules changed across a daemon restart:\nbefore:\n%s\nafter:\n%s", strings.Join(rules, "\n"), strings.Join(after, "\n"))
	}
	if after := d.ourFilter(t); !maps.Equal(after, filter) {
		t.Errorf("the port filter table changed across a daemon restart: before %v, after %v", filter, after)
	}
}

// serveWWW starts busybox httpd on port in the guest login lands in, serving
// a page that says body. httpd puts itself in the background.
func (d *daemon) serveWWW(t testing.TB, login string, port int, body string) {
	t.Helper()
	d.mustSSH(t, login, fmt.Sprintf("mkdir -p /srv/www && echo %s > /srv/www/index.html && httpd -p %d -h /srv/www", body, port))
}

// httpGetCmd is a guest command that fetches / from host:port. It uses nc:
// the wget of Debian's busybox-static crashes on -T (see the README's Images).
func httpGetCmd(host string, port int) string {
	return fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 %s %d`, host, port)
}

// TestNetworkNamesAndIsolation checks that guest names resolve on the
// gateway's DNS server, that isolated guests cannot reach each other, and
// that they can, by name, when isolation is off.
func TestNetworkNamesAndIsolation(t *testing.T) {
	t.Parallel()
	for _, isolate := range []bool{true, false} {
		t.Run(fmt.Sprintf("isolate=%v", isolate), func(t *testing.T) {
			t.Parallel()
			d := newDaemon(t, daemonOptions{network: fmt.Sprintf("  isolate: %v\n", isolate)})
			web := d.guestAddr(t, "alice+web")
			out := d.mustSSH(t, "bob", "nslookup web.alice.vmhost")
			if !strings.Contains(out, web.String()) {
				t.Errorf("nslookup web.alice.vmhost from bob's guest: %q, want %v", out, web)
			}
			alice := d.guestAddr(t, "alice")
			if out := d.mustSSH(t, "bob", "nslookup alice.vmhost"); !strings.Contains(out, alice.String()) {
				t.Errorf("nslookup alice.vmhost from bob's guest: %q, want %v", out, alice)
			}
			d.serveWWW(t, "alice+web", 8080, "hello-from-web")
			out, _, code := d.ssh(t, "bob", httpGetCmd("web.alice.vmhost", 8080))
			reached := code == 0 && strings.Contains(out, "hello-from-web")
			if reached == isolate {
				t.Errorf("isolate %v: bob's guest reached web.alice.vmhost:8080 = %v (exit %d, %q)", isolate, reached, code, out)
			}
		})
	}
}

// listenHost listens on 0.0.0.0 on the host and answers every connection
// with "host-service".
func listenHost(t testing.TB) int {
	t.Helper()
	addr := serveTCP(t, "0.0.0.0:0", func(c net.Conn) { c.Write([]byte("host-service\n")) })
	return int(netip.MustParseAddrPort(addr).Port())
}

// hostAddrs returns the host's global IPv4 addresses but the bridge's.
func hostAddrs(t testing.TB, bridge string) []netip.Addr {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var addrs []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Name == bridge {
			continue
		}
		as, _ := ifc.Addrs()
		for _, a := range as {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
				addrs = append(addrs, p.Addr())
			}
		}
	}
	return addrs
}

// TestNetworkHostServicesUnreachable checks that a guest reaches none of the
// host's services, on the gateway or any other host address, while it does
// reach the DNS server on the gateway.
func TestNetworkHostServicesUnreachable(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	port := listenHost(t)
	gw := d.gateway(t)
	targets := append([]netip.Addr{gw}, hostAddrs(t, d.cfg.bridge)...)
	for _, a := range targets {
		out, _, _ := d.ssh(t, "alice", fmt.Sprintf("nc -w 3 %s %d </dev/null", a, port))
		if strings.Contains(out, "host-service") {
			t.Errorf("the guest reached a host service on %v:%d", a, port)
		}
	}
	if out, _, code := d.ssh(t, "alice", "nslookup alice.vmhost "+gw.String()); code != 0 {
		t.Errorf("DNS on the gateway from the guest: exit %d: %q", code, out)
	}
}

// TestNetworkPublishedPort checks a host port published to a guest port: it
// answers on 127.0.0.1 of the host and from another guest.
func TestNetworkPublishedPort(t *testing.T) {
	t.Parallel()
	hostPort := freePort(t)
	d := newDaemon(t, daemonOptions{network: fmt.Sprintf(
		"  forwards:\n    - {host_port: %d, guest: alice, guest_port: 8080, proto: tcp}\n", hostPort)})
	d.serveWWW(t, "alice", 8080, "published-page")
	body, err := httpGet(fmt.Sprintf("127.0.0.1:%d", hostPort))
	if err != nil || !strings.Contains(body, "published-page") {
		t.Errorf("GET 127.0.0.1:%d on the host: %q, %v; want the guest's page", hostPort, body, err)
	}
	out, _, code := d.ssh(t, "bob", httpGetCmd(d.gateway(t).String(), hostPort))
	if code != 0 || !strings.Contains(out, "published-page") {
		t.Errorf("bob's guest GET gateway:%d: exit %d, %q; want the page of alice's guest", hostPort, code, out)
	}
}

// httpGet fetches / from addr with a plain HTTP/1.0 request, retrying for a
// few seconds while the service comes up.
func httpGet(addr string) (string, error) {
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var c net.Conn
		c, err = net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, rerr := c.Read(buf)
			b.Write(buf[:n])
			if rerr != nil {
				break
			}
		}
		c.Close()
		return b.String(), nil
	}
	return "", err
}

// TestNetworkRootBreaksOwnRoutes checks that root in a guest who wrecks its
// routes and link cuts off that guest only.
func TestNetworkRootBreaksOwnRoutes(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	gw := d.gateway(t).String()
	d.mustSSH(t, "bob", "ping -c 1 -W 5 "+gw)
	d.mustSSH(t, "alice", "ip route flush all && ip link set eth0 down")
	if _, _, code := d.ssh(t, "alice", "ping -c 1 -W 2 "+gw); code == 0 {
		t.Errorf("alice's guest still pings the gateway with its routes flushed")
	}
	if out, errOut, code := d.ssh(t, "bob", "ping -c 1 -W 5 "+gw); code != 0 {
		t.Errorf("bob's guest lost the gateway when alice broke hers: exit %d: %s %s", code, out, errOut)
	}
}
