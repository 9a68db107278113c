package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// testUsers are the users every test config allows, each with a key of its own.
var testUsers = []string{"alice", "bob"}

// daemonOptions change the config that newDaemon writes.
type daemonOptions struct {
	// maxGuests is defaults.max_guests; 0 means 2.
	maxGuests int
	// network holds more lines of the network section, each indented by
	// two spaces, such as "  isolate: false\n".
	network string
}

// daemon is one vmhostd under test: its config, directories, user keys and
// port, and the process while it runs.
type daemon struct {
	baseDir    string // holds the config, the keys, the log and data_dir
	dataDir    string
	runDir     string // short: unix socket paths are limited to 108 bytes
	configPath string
	logPath    string // stdout and stderr of every run of the daemon
	cfg        daemonConfig
	keys       map[string]string // user -> private key file

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	runs   int
}

// daemonConfig holds the values of a test config file.
type daemonConfig struct {
	listen, dataDir, runDir string
	bridge, subnet          string
	maxGuests               int
	network                 string            // more lines of the network section
	keys                    map[string]string // user -> public key line
}

// newDaemon writes a config for a daemon of its own, starts it, waits until it
// accepts connections, and registers its cleanup: stopping it, killing its
// guests and removing everything it made.
func newDaemon(t testing.TB, opts daemonOptions) *daemon {
	t.Helper()
	d := prepareDaemon(t, opts)
	d.writeConfig(t, d.cfg.yaml())
	d.start(t)
	return d
}

// prepareDaemon makes the directories, keys, port, bridge name and subnet of a
// daemon and registers its cleanup, without writing a config or starting it.
func prepareDaemon(t testing.TB, opts daemonOptions) *daemon {
	t.Helper()
	if opts.maxGuests == 0 {
		opts.maxGuests = 2
	}
	d := &daemon{keys: map[string]string{}}
	d.baseDir = makeTempDir(t, "", "vmhost-e2e-")
	t.Cleanup(func() { d.cleanup(t) })
	d.runDir = makeTempDir(t, "/tmp", "vmh")
	d.dataDir = filepath.Join(d.baseDir, "data")
	seedHostKeys(t, d.dataDir)
	d.configPath = filepath.Join(d.baseDir, "vmhostd.yaml")
	d.logPath = filepath.Join(d.baseDir, "vmhostd.log")
	d.cfg = daemonConfig{
		listen:    fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		dataDir:   d.dataDir,
		runDir:    d.runDir,
		bridge:    fmt.Sprintf("vmt%06x", rand.IntN(1<<24)),
		subnet:    testSubnet(t),
		maxGuests: opts.maxGuests,
		network:   opts.network,
		keys:      map[string]string{},
	}
	keyDir := filepath.Join(d.baseDir, "keys")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, u := range testUsers {
		d.keys[u], d.cfg.keys[u] = makeKey(t, keyDir, u)
	}
	return d
}

// testSubnet returns a /24 for one test daemon: the next of this run's
// /16, a random one in 10.200.0.0-10.250.0.0 other than 10.213.0.0/16 (the
// subnet of config.example.yaml), skipping any /24 that a network of the
// host already overlaps (another daemon, another run's tests). Within a run
// no two daemons get the same one.
func testSubnet(t testing.TB) string {
	t.Helper()
	subnetMu.Lock()
	defer subnetMu.Unlock()
	if subnetBase == 0 {
		subnetBase = 200 + rand.IntN(50)
		if subnetBase == 213 {
			subnetBase = 250
		}
	}
	taken := hostPrefixes(t)
	for ; subnetNext < 256; subnetNext++ {
		p := netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", subnetBase, subnetNext))
		if !slices.ContainsFunc(taken, p.Overlaps) {
			subnetNext++
			return p.String()
		}
	}
	t.Fatalf("no free /24 left in 10.%d.0.0/16 for a test daemon", subnetBase)
	return ""
}

var (
	subnetMu   sync.Mutex
	subnetBase int // the second octet of this run's subnets
	subnetNext int // the third octet of the next one
)

// hostPrefixes returns the IPv4 networks of the host's addresses and routes.
func hostPrefixes(t testing.TB) []netip.Prefix {
	t.Helper()
	var ps []netip.Prefix
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		t.Fatalf("listing the host's addresses: %v", err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.IPNet.String()); err == nil {
			ps = append(ps, p.Masked())
		}
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		t.Fatalf("listing the host's routes: %v", err)
	}
	for _, r := range routes {
		if r.Dst != nil {
			if p, err := netip.ParsePrefix(r.Dst.String()); err == nil && p.Bits() > 0 {
				ps = append(ps, p.Masked())
			}
		}
	}
	return ps
}

// makeTempDir makes a temporary directory that guests can traverse, like
// /var/lib: os.MkdirTemp makes it 0700.
func makeTempDir(t testing.TB, parent, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// yaml renders the config file, keys in the order of the contract.
func (c daemonConfig) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\n", c.listen)
	fmt.Fprintf(&b, "data_dir: %q\n", c.dataDir)
	fmt.Fprintf(&b, "run_dir: %q\n", c.runDir)
	fmt.Fprintf(&b, "network:\n  bridge: %s\n  subnet: %s\n%s", c.bridge, c.subnet, c.network)
	fmt.Fprintf(&b, "images:\n  busybox: {source: busybox}\n")
	fmt.Fprintf(&b, "defaults:\n  image: busybox\n  max_guests: %d\n", c.maxGuests)
	b.WriteString("users:\n")
	users := make([]string, 0, len(c.keys))
	for u := range c.keys {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		fmt.Fprintf(&b, "  %s:\n    keys: [%q]\n", u, c.keys[u])
	}
	return b.String()
}

// writeConfig writes text as the daemon's config file.
func (d *daemon) writeConfig(t testing.TB, text string) {
	t.Helper()
	if err := os.WriteFile(d.configPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// port is the TCP port the daemon listens on.
func (d *daemon) port() string {
	_, port, _ := net.SplitHostPort(d.cfg.listen)
	return port
}

// start starts `vmhostd serve --config FILE` and waits until its port accepts
// connections. The log file, not a pipe, takes its output, so that nothing
// the daemon leaves behind depends on the test reading it.
func (d *daemon) start(t testing.TB) {
	t.Helper()
	if d.cmd != nil {
		t.Fatal("starting vmhostd: it is already running")
	}
	d.runs++
	log, err := os.OpenFile(d.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	fmt.Fprintf(log, "--- vmhostd run %d ---\n", d.runs)
	cmd := exec.Command(daemonBin, "serve", "--config", d.configPath)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting vmhostd: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		appendLog(d.logPath, fmt.Sprintf("--- vmhostd run ended: %v ---\n", err))
		close(exited)
	}()
	d.cmd, d.exited = cmd, exited
	d.waitListening(t, 20*time.Second)
}

// waitListening polls the daemon's port until it accepts a TCP connection.
func (d *daemon) waitListening(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", d.cfg.listen, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-d.exited:
			d.cmd = nil
			t.Fatalf("vmhostd exited before listening on %s:\n%s", d.cfg.listen, d.log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("vmhostd not listening on %s after %v: %v\n%s", d.cfg.listen, timeout, err, d.log())
		}
	}
}

// stop sends SIGTERM to the daemon and waits for it to exit.
func (d *daemon) stop(t testing.TB) {
	t.Helper()
	d.signal(t, syscall.SIGTERM, 15*time.Second)
}

// kill9 kills the daemon with SIGKILL and waits for it to exit; its guests
// keep running.
func (d *daemon) kill9(t testing.TB) {
	t.Helper()
	d.signal(t, syscall.SIGKILL, 10*time.Second)
}

// signal sends sig to the running daemon and waits up to timeout for it to
// exit, then kills it.
func (d *daemon) signal(t testing.TB, sig syscall.Signal, timeout time.Duration) {
	t.Helper()
	if d.cmd == nil {
		return
	}
	defer func() { d.cmd = nil }()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Errorf("sending %v to vmhostd: %v", sig, err)
	}
	select {
	case <-d.exited:
	case <-time.After(timeout):
		t.Errorf("vmhostd still running %v after %v", timeout, sig)
		d.cmd.Process.Kill()
		<-d.exited
	}
}

// log returns what the daemon wrote so far.
func (d *daemon) log() string {
	b, err := os.ReadFile(d.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// appendLog appends s to the log file at path.
func appendLog(path, s string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteString(s)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// makeKey makes an ed25519 key pair named name in dir with ssh-keygen and
// returns the private key's path and the public key line.
func makeKey(t testing.TB, dir, name string) (path, pub string) {
	t.Helper()
	path = filepath.Join(dir, name)
	cmd := exec.Command(sshKeygenPath, "-q", "-t", "ed25519", "-N", "", "-C", name+"@e2e", "-f", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(b))
}
