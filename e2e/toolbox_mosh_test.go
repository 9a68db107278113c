package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Paths of the tools the mosh tests drive.
const (
	moshPath    = "/usr/bin/mosh"
	nsenterPath = "/usr/bin/nsenter"
)

// moshKey is a session key as mosh-server prints it.
const moshKey = "4NeCCgvZFe2RnPgrcU1PQw"

// moshConnectRE matches the MOSH CONNECT line the client gets.
var moshConnectRE = regexp.MustCompile(`MOSH CONNECT (\d+) ` + moshKey)

// moshRemoval is how long a published mosh port may outlive its
// mosh-server: the daemon looks every 15s.
const moshRemoval = 45 * time.Second

// newMoshDaemon starts a daemon with the default ssh section, listening on
// the host's address towards the outside host o, so that logins from o come
// from o's address, as from a client beyond the machine. With image set,
// bob's guests are of that Debian image, built first.
func newMoshDaemon(t *testing.T, o *outside, image string) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	d.cfg.listen = netip.AddrPortFrom(o.hostAddr, uint16(freePort(t))).String()
	text := d.cfg.yaml()
	if image != "" {
		text = withImage(t, text, "debian", image, "bob")
	}
	d.writeConfig(t, text)
	if image != "" {
		d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	}
	d.start(t)
	return d
}

// outsideCommand returns a command that runs path in the network namespace
// of the outside host o, through nsenter, with the environment of ssh.
func outsideCommand(ctx context.Context, t *testing.T, o *outside, path string, args ...string) *exec.Cmd {
	t.Helper()
	fd, err := unix.Dup(int(o.ns))
	if err != nil {
		t.Fatal(err)
	}
	ns := os.NewFile(uintptr(fd), "netns")
	t.Cleanup(func() { ns.Close() })
	cmd := exec.CommandContext(ctx, nsenterPath, append([]string{"--net=/proc/self/fd/3", "--", path}, args...)...)
	cmd.ExtraFiles = []*os.File{ns}
	cmd.Env = sshEnv()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// outsideRun runs path with args and stdin in o's network namespace within
// timeout, and returns how it ended.
func outsideRun(t *testing.T, o *outside, timeout time.Duration, stdin, path string, args ...string) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := outsideCommand(ctx, t, o, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := toolResult{stdout: out.String(), stderr: errOut.String()}
	if err != nil {
		res.code = -1
		if cmd.ProcessState != nil {
			res.code = cmd.ProcessState.ExitCode()
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %q from the outside host timed out after %v: stdout %q, stderr %q", path, args, timeout, tail(res.stdout), tail(res.stderr))
	}
	return res
}

// outsideSSH runs command as login from the outside host, failing the test
// unless it exits 0, and returns its output.
func outsideSSH(t *testing.T, d *daemon, o *outside, timeout time.Duration, login, stdin, command string) string {
	t.Helper()
	args := d.sshArgs(d.keyOf(t, login), login)
	args[len(args)-1] = login + "@" + o.hostAddr.String()
	res := outsideRun(t, o, timeout, stdin, sshPath, append(args, command)...)
	if res.code != 0 {
		t.Fatalf("ssh %s %q from the outside host: exit %d, stdout %q, stderr %q", login, command, res.code, tail(res.stdout), tail(res.stderr))
	}
	return res.stdout
}

// outsideUpload puts the attacker in login's guest, with sftp from o.
func outsideUpload(t *testing.T, d *daemon, o *outside, login string) {
	t.Helper()
	batch := fmt.Sprintf("put %s %s\nchmod 755 %s\n", buildAttacker(t), attackerPath, attackerPath)
	args := append(d.toolArgs(d.keyOf(t, login)), "-b", "-", login+"@"+o.hostAddr.String())
	if res := outsideRun(t, o, sshTimeout, batch, sftpPath, args...); res.code != 0 {
		t.Fatalf("sftp from the outside host: exit %d, stderr %q", res.code, res.stderr)
	}
}

// outsideAsk sends a datagram from o to addr with the attacker's udp-ask,
// run on the host in o's network namespace, and returns the answer ("" for
// none within seconds).
func outsideAsk(t *testing.T, o *outside, addr netip.AddrPort, seconds int) string {
	t.Helper()
	res := outsideRun(t, o, time.Duration(seconds+10)*time.Second, "", buildAttacker(t), "udp-ask", addr.String(), fmt.Sprint(seconds))
	answer, ok := strings.CutPrefix(strings.TrimSpace(res.stdout), "answer=")
	if res.code != 0 || !ok {
		t.Fatalf("udp-ask %v from %v: exit %d, stdout %q, stderr %q", addr, o.addr, res.code, res.stdout, res.stderr)
	}
	return answer
}

// outsideGuestAddr returns the IPv4 address of eth0 in login's guest.
func outsideGuestAddr(t *testing.T, d *daemon, o *outside, login string) netip.Addr {
	t.Helper()
	out := outsideSSH(t, d, o, sshTimeout, login, "", "ip -4 -o addr show dev eth0")
	m := inetRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: no IPv4 address on eth0: %q", login, out)
	}
	return netip.MustParseAddr(m[1])
}

// moshRules returns the daemon's rules of published mosh ports.
func (d *daemon) moshRules(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("iptables", "-w", "-t", "nat", "-S", "VMHOST-"+d.cfg.bridge+"-DYN").CombinedOutput()
	if err != nil {
		t.Fatalf("iptables -t nat -S VMHOST-%s-DYN: %v: %s", d.cfg.bridge, err, out)
	}
	return string(out)
}

// waitMoshRemoved waits until no rule of the daemon publishes hostPort
// and the audit line of its removal is written.
func (d *daemon) waitMoshRemoved(t *testing.T, hostPort int) {
	t.Helper()
	port := fmt.Sprintf("--dport %d ", hostPort)
	logged := fmt.Sprintf("host_port=%d ", hostPort)
	deadline := time.Now().Add(moshRemoval)
	for strings.Contains(d.moshRules(t), port) || !slices.ContainsFunc(d.moshAudit("removed"), func(l string) bool { return strings.Contains(l, logged) }) {
		if time.Now().After(deadline) {
			t.Fatalf("host port %d still published %v after its mosh-server ended, or its removal not logged:\n%s\n%q", hostPort, moshRemoval, d.moshRules(t), d.moshAudit("removed"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// moshAudit returns the daemon's "mosh port" audit lines with outcome.
func (d *daemon) moshAudit(outcome string) []string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(d.log()))
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, `msg="mosh port"`) && strings.Contains(l, "audit=true") && strings.Contains(l, "outcome="+outcome+" ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// fakeMoshServer is a mosh-server for busybox guests: like the real one, it
// leaves a UDP server running on port 60001 (the attacker's udp-echo, for
// 20s) and prints its MOSH CONNECT line.
const fakeMoshServer = `#!/bin/sh
setsid ` + attackerPath + ` udp-echo 60001 20 >/root/echo.out 2>&1 </dev/null &
sleep 1
printf '\r\nMOSH CONNECT 60001 ` + moshKey + `\r\n'
`

// TestMoshPortOnlyToClient checks the mosh port a session publishes, with a
// stand-in mosh-server whose UDP server answers every datagram: the client
// gets the host port on its MOSH CONNECT line and reaches the guest there;
// another address beyond the machine and another guest do not; SSH_CONNECTION
// names the guest's own address; the port goes once nothing in the guest has
// it bound, with an audit line for each step.
func TestMoshPortOnlyToClient(t *testing.T) {
	requireTools(t, nsenterPath, sftpPath)
	t.Parallel()
	o, other := newOutside(t), newOutside(t)
	d := newMoshDaemon(t, o, "")
	for _, login := range []string{"alice", "bob"} {
		outsideUpload(t, d, o, login)
	}
	ip := outsideGuestAddr(t, d, o, "alice")
	env := strings.Fields(outsideSSH(t, d, o, sshTimeout, "alice", "", "echo $SSH_CONNECTION"))
	if len(env) != 4 || env[0] != o.addr.String() || env[2] != ip.String() || env[3] != d.port() {
		t.Errorf("SSH_CONNECTION = %q, want %q", env, []string{o.addr.String(), "PORT", ip.String(), d.port()})
	}

	outsideSSH(t, d, o, sshTimeout, "alice", fakeMoshServer, "cat >/root/mosh-server && chmod 755 /root/mosh-server")
	out := outsideSSH(t, d, o, sshTimeout, "alice", "", "/root/mosh-server new -s -c 256 -l LANG=C.UTF-8")
	m := moshConnectRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("mosh-server's output reached the client as %q; want a MOSH CONNECT line", out)
	}
	var hostPort int
	fmt.Sscan(m[1], &hostPort)
	if hostPort < 60000 || hostPort > 60999 {
		t.Errorf("MOSH CONNECT names port %d; want one of ssh.mosh_ports' default, 60000-60999", hostPort)
	}
	if got := outsideAsk(t, o, netip.AddrPortFrom(o.hostAddr, uint16(hostPort)), 5); got != "echo:ask" {
		t.Errorf("the client to its mosh port %d: answer %q, want echo:ask", hostPort, got)
	}
	if got := outsideAsk(t, other, netip.AddrPortFrom(other.hostAddr, uint16(hostPort)), 2); got != "" {
		t.Errorf("another address (%v) to the mosh port %d: answer %q, want none", other.addr, hostPort, got)
	}
	for _, dst := range []netip.Addr{d.gateway(t), o.hostAddr} {
		facts := outsideAttack(t, d, o, "bob", "udp-ask", netip.AddrPortFrom(dst, uint16(hostPort)).String(), "2")
		if facts != "answer=" {
			t.Errorf("bob's guest to alice's mosh port on %v:%d: %q, want answer=", dst, hostPort, facts)
		}
	}
	if published := d.moshAudit("published"); len(published) != 1 || !strings.Contains(published[0], fmt.Sprintf("host_port=%d guest_port=60001 client=%s", hostPort, o.addr)) {
		t.Errorf("audit lines of published mosh ports: %q; want one for %d", published, hostPort)
	}

	d.waitMoshRemoved(t, hostPort)
	if removed := d.moshAudit("removed"); len(removed) != 1 || !strings.Contains(removed[0], fmt.Sprintf("host_port=%d", hostPort)) {
		t.Errorf("audit lines of removed mosh ports: %q; want one for %d", removed, hostPort)
	}
}

// outsideAttack runs the attacker's attack in login's guest over ssh from
// o and returns its report, trimmed.
func outsideAttack(t *testing.T, d *daemon, o *outside, login string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(outsideSSH(t, d, o, sshTimeout, login, "", attackerPath+" "+strings.Join(args, " ")))
}

// TestToolboxMosh runs the real mosh client, from a host beyond the
// machine, under a terminal, against a Debian guest with mosh installed by
// apt: what is typed runs in the guest, and the published port goes after
// the session ends.
func TestToolboxMosh(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image and installs mosh from the mirror (not in -short)")
	}
	requireDebootstrap(t)
	requireTools(t, nsenterPath)
	if _, err := os.Stat(moshPath); err != nil {
		t.Skipf("%s is needed: %v (install mosh)", moshPath, err)
	}
	t.Parallel()
	o := newOutside(t)
	d := newMoshDaemon(t, o, debianTarImage(t))
	outsideSSH(t, d, o, 15*time.Minute, "bob", "", "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mosh")

	client := startMosh(t, d, o, "bob")
	hostPort := waitMoshPublished(t, d, client)
	client.write(t, "echo typed-in-mosh > /root/mosh-proof\r")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := outsideSSH(t, d, o, sshTimeout, "bob", "", "cat /root/mosh-proof 2>/dev/null; true")
		if out == "typed-in-mosh\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("what was typed into mosh did not run in the guest within 30s; the terminal shows:\n%s", tail(client.out.String()))
		}
		time.Sleep(500 * time.Millisecond)
	}
	client.write(t, "exit\r")
	select {
	case <-client.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("mosh did not end 30s after exit; the terminal shows:\n%s", tail(client.out.String()))
	}
	d.waitMoshRemoved(t, hostPort)
}

// moshClient is the mosh client running under a terminal.
type moshClient struct {
	pty    *os.File
	out    *lockedBuffer // everything the terminal showed
	exited chan struct{}
}

// startMosh starts `mosh login@HOST` from o under a terminal, with ssh
// given the test's options as the harness's own ssh; it is killed by its
// pid when the test ends.
func startMosh(t *testing.T, d *daemon, o *outside, login string) *moshClient {
	t.Helper()
	args := d.sshArgs(d.keyOf(t, login), login)
	ssh := sshPath + " " + strings.Join(args[:len(args)-1], " ")
	cmd := outsideCommand(context.Background(), t, o, moshPath, "--ssh="+ssh, login+"@"+o.hostAddr.String())
	cmd.Env = append(cmd.Env, "TERM=xterm", "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("starting mosh: %v", err)
	}
	c := &moshClient{pty: f, out: &lockedBuffer{}, exited: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			c.out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	go func() {
		cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			cmd.Process.Kill()
			<-c.exited
		}
		f.Close()
	})
	return c
}

// write types text into the mosh client's terminal.
func (c *moshClient) write(t *testing.T, text string) {
	t.Helper()
	if _, err := c.pty.WriteString(text); err != nil {
		t.Fatalf("typing into mosh: %v", err)
	}
}

// waitMoshPublished waits for the audit line of the port published for
// the client's mosh-server, and returns the port.
func waitMoshPublished(t *testing.T, d *daemon, c *moshClient) int {
	t.Helper()
	re := regexp.MustCompile(`outcome=published host_port=(\d+) `)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if lines := d.moshAudit("published"); len(lines) > 0 {
			var port int
			if m := re.FindStringSubmatch(lines[0]); m != nil {
				fmt.Sscan(m[1], &port)
				time.Sleep(2 * time.Second) // for mosh-client to start
				return port
			}
		}
		select {
		case <-c.exited:
			t.Fatalf("mosh ended before a port was published; the terminal shows:\n%s\ndaemon log:\n%s", tail(c.out.String()), tail(d.log()))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mosh port published within 30s; the terminal shows:\n%s\ndaemon log:\n%s", tail(c.out.String()), tail(d.log()))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
