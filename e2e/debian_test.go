package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// debianImage is a Debian image as a config would define it: debootstrap
// from the mirror the host's apt uses, with the tools the tests run.
const debianImage = "{source: debootstrap, suite: bookworm, variant: minbase, include: [iproute2, iputils-ping, iptables, procps]}"

// vmhostd runs the vmhostd command line with the daemon's config and returns
// its output; a non-zero exit fails the test.
func (d *daemon) vmhostd(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, daemonBin, append(args, "--config", d.configPath)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vmhostd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sshSlow runs cmd as login like mustSSH, with a longer timeout for commands
// such as apt-get that download.
func (d *daemon) sshSlow(t *testing.T, timeout time.Duration, login, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, sshPath, append(d.sshArgs(d.keyOf(t, login), login), cmd)...)
	c.Env = sshEnv()
	c.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	var exit *exec.ExitError
	if ctx.Err() != nil || (err != nil && !errors.As(err, &exit)) || (exit != nil && exit.ExitCode() != 0) {
		t.Fatalf("ssh %s %q: %v (%v)\nstdout:\n%s\nstderr:\n%s", login, cmd, err, ctx.Err(), tail(out.String()), tail(errOut.String()))
	}
	return out.String()
}

// tail returns the last lines of s.
func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// requireDebootstrap skips the test where debootstrap is missing.
func requireDebootstrap(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/debootstrap"); err != nil {
		t.Skip("skipping: debootstrap is not installed (make deps installs it)")
	}
}

// TestDebianGuest checks a Debian guest as its user sees it: apt installs
// nginx as root, nginx serves on the guest's address with workers as
// www-data, keeps serving after logout and across a daemon restart, and
// comes back when the guest starts again; root's firewall inside cuts off
// that guest only.
func TestDebianGuest(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image and installs nginx from the mirror (not in -short)")
	}
	requireDebootstrap(t)
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withImage(t, d.cfg.yaml(), "debian", debianImage, "bob"))
	out := d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	if !strings.Contains(out, "building image debian") || !strings.Contains(out, "image debian ready") {
		t.Errorf("vmhostd image build debian: want progress and a ready line; got:\n%s", tail(out))
	}
	d.start(t)

	if got := d.mustSSH(t, "bob", ". /etc/os-release && echo $VERSION_CODENAME"); got != "bookworm\n" {
		t.Errorf("bob's guest runs %q, want bookworm", got)
	}
	d.sshSlow(t, 15*time.Minute, "bob", "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx")
	d.mustSSH(t, "bob", "service nginx start >/dev/null 2>&1; pidof nginx >/dev/null")
	// The workers are forked as root and drop to www-data a moment later.
	var users string
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if users = d.mustSSH(t, "bob", "ps -C nginx -o user="); strings.Contains(users, "www-data") {
			break
		}
	}
	if !strings.Contains(users, "www-data") {
		t.Errorf("nginx workers run as %q, want www-data among them", users)
	}
	addr := fmt.Sprintf("%s:80", d.guestAddr(t, "bob"))
	checkNginx(t, addr, "after logout")

	d.stop(t)
	d.start(t)
	checkNginx(t, addr, "after a daemon restart")

	ref := d.guest(t, "bob")
	d.ssh(t, "bob", "kill -TERM 1") // what reboot does; minbase has no reboot
	if gone, err := waitExit(ref.InitPID, ref.InitStart, 20*time.Second); err != nil || !gone {
		t.Fatalf("the guest's init did not end after SIGTERM: %v", err)
	}
	d.mustSSH(t, "bob", "true")
	checkNginx(t, addr, "after the guest started again")

	checkOwnFirewall(t, d)
}

// checkNginx checks that nginx's default page answers on addr.
func checkNginx(t *testing.T, addr, when string) {
	t.Helper()
	body, err := httpGet(addr)
	if err != nil || !strings.Contains(body, "Welcome to nginx") {
		t.Errorf("%s: GET http://%s/: %v, %q; want nginx's page", when, addr, err, tail(body))
	}
}

// checkOwnFirewall checks that root in bob's guest can firewall itself off
// without touching alice's guest.
func checkOwnFirewall(t *testing.T, d *daemon) {
	t.Helper()
	gw := d.gateway(t).String()
	d.mustSSH(t, "bob", "ping -c 1 -W 5 "+gw+" >/dev/null")
	d.mustSSH(t, "bob", "iptables -P OUTPUT DROP")
	if _, _, code := d.ssh(t, "bob", "ping -c 1 -W 2 "+gw); code == 0 {
		t.Errorf("bob's guest still pings the gateway with its OUTPUT policy DROP")
	}
	if out, errOut, code := d.ssh(t, "alice", "ping -c 1 -W 5 "+gw); code != 0 {
		t.Errorf("alice's guest lost the gateway when bob firewalled his: exit %d: %s %s", code, out, errOut)
	}
	d.mustSSH(t, "bob", "iptables -P OUTPUT ACCEPT")
}
