package netplumb

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// envHost, set in a child test process, holds the prefix of its names.
const envHost = "NETPLUMB_TEST_HOST"

// testHost is the world of one privileged test. The test runs in a child
// process of its own with a new network namespace that plays the host: the
// bridge, the veths' host ends, the iptables chains, the sysctls and the DNS
// server all live there and vanish with the process, whatever happens to the
// test. Guests and the outside machine are named network namespaces
// (/run/netns/<prefix>-*), deleted in cleanup by the child and again by the
// parent.
type testHost struct {
	t      *testing.T
	prefix string       // "vmt" and 6 hex digits: the bridge, and the netns names' prefix
	subnet netip.Prefix // a random 10.250.X.0/24
	conf   string       // the resolv.conf the network forwards by
}

// newTestHost runs the calling test again in a child process with a network
// namespace of its own, and returns nil in the parent, which then has nothing
// left to do. In the child it returns the test's host.
func newTestHost(t *testing.T) *testHost {
	t.Helper()
	if prefix := os.Getenv(envHost); prefix != "" {
		return setUpTestHost(t, prefix)
	}
	requireRoot(t)
	requireCommand(t, "ip")
	requireCommand(t, "iptables")
	t.Parallel()
	prefix := "vmt" + randomHex(3)
	t.Cleanup(func() {
		if left := deleteNetnsPrefix(prefix); len(left) > 0 {
			t.Errorf("the test left network namespaces behind: %v", left)
		}
	})
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), envHost+"="+prefix)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("in its own network namespace (%s): %v\n%s", prefix, err, out)
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name())):
		t.Skipf("skipped in its own network namespace:\n%s", out)
	case !bytes.Contains(out, []byte("--- PASS: "+t.Name())):
		t.Fatalf("in its own network namespace (%s): the test did not run:\n%s", prefix, out)
	}
	t.Logf("in its own network namespace (%s):\n%s", prefix, out)
	return nil
}

// setUpTestHost prepares the child's network namespace: lo up, a FORWARD
// policy of DROP (so only our own rules can let guest traffic through), and a
// resolv.conf that points at a stub resolver on 127.0.0.53.
func setUpTestHost(t *testing.T, prefix string) *testHost {
	requireNetfilter(t)
	requireCommand(t, "iptables")
	run(t, "", "ip", "link", "set", "lo", "up")
	run(t, "", "iptables", "-P", "FORWARD", "DROP")
	h := &testHost{t: t, prefix: prefix, conf: filepath.Join(t.TempDir(), "resolv.conf")}
	b := make([]byte, 1)
	rand.Read(b)
	h.subnet = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 250, b[0], 0}), 24)
	if err := os.WriteFile(h.conf, []byte("nameserver 127.0.0.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteNetnsPrefix(prefix) })
	return h
}

// bridgeNetfilter turns on or off, in the test's host only, the passing of
// bridged IPv4 traffic through iptables (br_netfilter), which changes the path
// of published ports and of traffic between guests. Kernels without
// br_netfilter only run the tests that want it off.
func (h *testHost) bridgeNetfilter(on bool) {
	h.t.Helper()
	const path = "/proc/sys/net/bridge/bridge-nf-call-iptables"
	value := map[bool]string{true: "1", false: "0"}[on]
	if _, err := os.Stat(path); err != nil {
		if on {
			h.t.Skip("skipping: the kernel has no br_netfilter (net.bridge.bridge-nf-call-iptables)")
		}
		return
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// config returns the network's configuration for this test.
func (h *testHost) config() Config {
	return Config{
		Bridge: h.prefix, Subnet: h.subnet, NAT: true, Isolate: true,
		ResolvConf: h.conf,
		Logger:     slog.New(slog.NewTextHandler(testWriter{h.t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// start makes and starts a network; it is closed in cleanup.
func (h *testHost) start(cfg Config) *Network {
	h.t.Helper()
	n, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { n.Close() })
	return n
}

// guest is a guest of a test: a named network namespace and its address.
type guest struct {
	id, ns string
	ip     netip.Addr
}

// attach makes a network namespace for guest id and attaches it with the
// lowest address not used by the others.
func (h *testHost) attach(n *Network, id string, others ...guest) guest {
	h.t.Helper()
	used := make(map[netip.Addr]bool)
	for _, g := range others {
		used[g.ip] = true
	}
	ip, err := Allocate(h.subnet, used)
	if err != nil {
		h.t.Fatal(err)
	}
	g := guest{id: id, ns: h.netns(strings.ReplaceAll(id, "+", "-")), ip: ip}
	if err := n.Attach(id, ip, "/run/netns/"+g.ns); err != nil {
		h.t.Fatal(err)
	}
	return g
}

// netns creates the named network namespace <prefix>-<name>.
func (h *testHost) netns(name string) string {
	h.t.Helper()
	ns := h.prefix + "-" + name
	run(h.t, "", "ip", "netns", "add", ns)
	h.t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	return ns
}

// outside makes the outside machine: a network namespace linked to the host
// over <prefix>-up, the host at 198.51.100.1/24, the outside at
// 198.51.100.2/24 with no route to the guest subnet.
func (h *testHost) outside() string {
	ns := h.netns("out")
	up := h.prefix + "-up"
	run(h.t, "", "ip", "link", "add", up, "type", "veth", "peer", "name", "eth0", "netns", ns)
	run(h.t, "", "ip", "addr", "add", "198.51.100.1/24", "dev", up)
	run(h.t, "", "ip", "link", "set", up, "up")
	run(h.t, ns, "ip", "addr", "add", "198.51.100.2/24", "dev", "eth0")
	run(h.t, ns, "ip", "link", "set", "eth0", "up")
	if err := waitOperUp(netlinkHandle(h.t, ""), netns.None(), up); err != nil {
		h.t.Fatal(err)
	}
	if err := waitOperUp(netlinkHandle(h.t, ns), namedNetns(h.t, ns), "eth0"); err != nil {
		h.t.Fatal(err)
	}
	return ns
}

// netlinkHandle opens netlink in the named network namespace ("" for the
// host's); it is closed in cleanup.
func netlinkHandle(t *testing.T, ns string) *netlink.Handle {
	t.Helper()
	target := netns.None()
	if ns != "" {
		var err error
		if target, err = netns.GetFromName(ns); err != nil {
			t.Fatal(err)
		}
		defer target.Close()
	}
	h, err := netlink.NewHandleAt(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// ping reports whether one of up to three pings from ns to ip, each given a
// second, gets an answer. The first may be lost while the guest resolves an
// address that it failed to resolve before.
func (h *testHost) ping(ns string, ip netip.Addr) bool {
	for range 3 {
		if h.answersPing(ns, ip) {
			return true
		}
	}
	return false
}

// answersPing reports whether one ping from ns to ip gets an answer within a
// second: the check that something is unreachable.
func (h *testHost) answersPing(ns string, ip netip.Addr) bool {
	return pingCommand(ns, "-c1", "-W1", ip.String()).Run() == nil
}

// pingCommand is ping, or busybox's.
func pingCommand(ns string, args ...string) *exec.Cmd {
	args = append([]string{"ping"}, args...)
	if _, err := exec.LookPath("ping"); err != nil {
		args = append([]string{"busybox"}, args...)
	}
	return command(ns, args...)
}

// requirePing skips the test without a ping command.
func requirePing(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ping"); err == nil {
		return
	}
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Skip("skipping: neither ping nor busybox is installed")
	}
}

// inNetns runs fn on a thread in the named network namespace ("" for the
// host's). The thread stays locked and dies with its goroutine, so it never
// goes back to the pool in another namespace.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if ns != "" {
			h, err := netns.GetFromName(ns)
			if err != nil {
				errc <- err
				return
			}
			defer h.Close()
			if err := netns.Set(h); err != nil {
				errc <- err
				return
			}
		}
		errc <- fn()
	}()
	return <-errc
}

// serveReport listens in ns on addr for TCP and UDP and answers every
// connection and every datagram with the address of its sender.
func (h *testHost) serveReport(ns, addr string) {
	h.t.Helper()
	var l net.Listener
	var pc net.PacketConn
	err := inNetns(ns, func() (err error) {
		if l, err = net.Listen("tcp4", addr); err != nil {
			return err
		}
		pc, err = net.ListenPacket("udp4", addr)
		return err
	})
	if err != nil {
		h.t.Fatalf("listening on %s in %q: %v", addr, ns, err)
	}
	h.t.Cleanup(func() { l.Close(); pc.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, c.RemoteAddr().(*net.TCPAddr).IP.String())
			c.Close()
		}
	}()
	go func() {
		buf := make([]byte, 64)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(from.(*net.UDPAddr).IP.String()), from)
		}
	}()
}

// Patience of dialReport.
const (
	// reachable is how long a connection that should work may take: TCP
	// resends a lost SYN after a second, and a link just brought up drops
	// packets for a moment.
	reachable = 3 * time.Second
	// unreachable is how long to wait before deciding that a connection
	// that should fail did.
	unreachable = 700 * time.Millisecond
)

// dialReport connects from ns to a serveReport server at addr over proto and
// returns the sender address the server saw, waiting at most patience. Over
// UDP it asks again every 300ms.
func dialReport(ns, proto, addr string, patience time.Duration) (string, error) {
	var got string
	err := inNetns(ns, func() error {
		deadline := time.Now().Add(patience)
		c, err := net.DialTimeout(proto, addr, patience)
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 64)
		for {
			if proto == "udp4" {
				if _, err := c.Write([]byte("?")); err != nil {
					return err
				}
				next := time.Now().Add(300 * time.Millisecond)
				if next.After(deadline) {
					next = deadline
				}
				c.SetDeadline(next)
			} else {
				c.SetDeadline(deadline)
			}
			n, err := c.Read(buf)
			got = string(buf[:n])
			var ne net.Error
			if proto == "udp4" && errors.As(err, &ne) && ne.Timeout() && time.Now().Before(deadline) {
				continue
			}
			if err == io.EOF {
				err = nil
			}
			return err
		}
	})
	return got, err
}

// command returns a command to run in the named network namespace, or in
// the host's for "".
func command(ns string, args ...string) *exec.Cmd {
	if ns != "" {
		args = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	return exec.Command(args[0], args[1:]...)
}

// run runs a command in ns and fails the test if it fails.
func run(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := command(ns, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// requireRoot skips the test unless it runs as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to make network namespaces, links and iptables rules")
	}
}

// requireCommand skips the test without the named program.
func requireCommand(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("skipping: %s is not installed", name)
	}
}

// requireNetfilter skips the test when the kernel cannot do what the firewall
// needs: conntrack, NAT and the addrtype match.
func requireNetfilter(t *testing.T) {
	t.Helper()
	probe := []string{"-t", "nat", "-N", "VMHOST-PROBE"}
	if out, err := exec.Command("iptables", probe...).CombinedOutput(); err != nil {
		t.Skipf("skipping: the kernel has no iptables nat table: %v: %s", err, out)
	}
	defer exec.Command("iptables", "-t", "nat", "-X", "VMHOST-PROBE").Run()
	rule := []string{"-t", "nat", "-A", "VMHOST-PROBE", "-m", "addrtype", "--dst-type", "LOCAL", "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"}
	if out, err := exec.Command("iptables", rule...).CombinedOutput(); err != nil {
		t.Skipf("skipping: the kernel lacks addrtype, conntrack or MASQUERADE: %v: %s", err, out)
	}
	exec.Command("iptables", "-t", "nat", "-F", "VMHOST-PROBE").Run()
}

// deleteNetnsPrefix deletes the named network namespaces of a test and
// returns their names.
func deleteNetnsPrefix(prefix string) []string {
	matches, _ := filepath.Glob("/run/netns/" + prefix + "-*")
	var names []string
	for _, m := range matches {
		names = append(names, filepath.Base(m))
		exec.Command("ip", "netns", "del", filepath.Base(m)).Run()
	}
	return names
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// String names the guest in failures.
func (g guest) String() string { return fmt.Sprintf("%s (%s)", g.id, g.ip) }
