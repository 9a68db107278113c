package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// utmpCheck is one look at the login records from a second session, while
// the first is open (during) or after it ended (after).
type utmpCheck struct {
	cmd   string
	after bool
	want  string // a regular expression, multi-line
}

// TestToolboxUtmpDebian checks, with Debian's own tools, that a terminal
// session is recorded as sshd records it: who and w show root on its
// terminal from the client's address while it is open, last shows it with a
// logout time after, and lastlog shows root's last login.
func TestToolboxUtmpDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds a Debian image (not in -short)")
	}
	requireDebootstrap(t)
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withImage(t, d.cfg.yaml(), "debian", debianTarImage(t), "bob"))
	d.vmhostd(t, 20*time.Minute, "image", "build", "debian")
	d.start(t)
	d.mustSSH(t, "bob", "test -x /usr/bin/who && test -x /usr/bin/w && test -x /usr/bin/last && test -x /usr/bin/lastlog")
	checkLoginRecords(t, d, "bob", []utmpCheck{
		{cmd: "who", want: `(?m)^root +pts/(\d+) +.*\(127\.0\.0\.1\)$`},
		{cmd: "w -h", want: `(?m)^root +pts/(\d+) +127\.0\.0\.1 `},
		{cmd: "last -w", after: true, want: `(?m)^root +pts/(\d+) +127\.0\.0\.1 .* - \d\d:\d\d +\(00:\d\d\)$`},
		{cmd: "lastlog -u root", after: true, want: `(?m)^root +pts/(\d+) +127\.0\.0\.1 `},
	})
	if out := d.mustSSH(t, "bob", "who -b; last reboot"); !strings.Contains(out, "system boot") || !strings.Contains(out, "reboot") {
		t.Errorf("who -b; last reboot = %q, want the guest's start recorded", out)
	}
}

// TestToolboxUtmpBusybox checks the login records on the default busybox
// image with its own who and last, and that a guest without /var/log (as
// some busybox trees are) still logs in, with no /var/log made.
func TestToolboxUtmpBusybox(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	// Busybox's last never shows the first record of wtmp (it stops
	// before offset 0; elsewhere that is a boot record): log in once first.
	first := d.sshPTY(t, "alice", 24, 80, "true")
	first.wait(30 * time.Second)
	checkLoginRecords(t, d, "alice", []utmpCheck{
		{cmd: "who", want: `(?m)^root +pts/(\d+) .*127\.0\.0\.1`},
		{cmd: "last", after: true, want: `(?m)^root +pts/(\d+) +127\.0\.0\.1 `},
	})
	d.mustSSH(t, "alice", "rm -rf /var/log /run/utmp")
	term := d.sshPTY(t, "alice", 24, 80)
	if got := term.run("echo in; ls /var"); !strings.HasPrefix(got, "in") {
		t.Errorf("a terminal session without /var/log: %q, want in", got)
	}
	term.write("exit\r")
	term.wait(30 * time.Second)
	if out := d.mustSSH(t, "alice", "test -e /var/log && echo log; test -f /run/utmp && echo utmp; true"); out != "utmp\n" {
		t.Errorf("after a login without /var/log: %q, want no /var/log made and /run/utmp made", out)
	}
}

// checkLoginRecords opens a terminal session as login with OpenSSH's ssh
// -tt, runs the checks not marked after from a second session, ends the
// first, then runs the rest. Each check's first group must be the
// session's terminal number.
func checkLoginRecords(t *testing.T, d *daemon, login string, checks []utmpCheck) {
	t.Helper()
	term := d.sshPTY(t, login, 24, 80)
	tty := term.run("tty")
	if !strings.HasPrefix(tty, "/dev/pts/") {
		t.Fatalf("tty in the terminal session = %q", tty)
	}
	n := strings.TrimPrefix(tty, "/dev/pts/")
	run := func(after bool) {
		for _, c := range checks {
			if c.after != after {
				continue
			}
			out := d.mustSSH(t, login, c.cmd)
			m := regexp.MustCompile(c.want).FindStringSubmatch(out)
			if m == nil || m[1] != n {
				t.Errorf("%s with pts/%s %s: %q, want %s", c.cmd, n, map[bool]string{false: "open", true: "closed"}[after], out, c.want)
			}
		}
	}
	run(false)
	term.write("exit\r")
	if code := term.wait(30 * time.Second); code != 0 {
		t.Errorf("the terminal session exited %d", code)
	}
	// util-linux's last prints a logout in the current second as "still
	// running": look from the next second on.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
	run(true)
	if out := d.mustSSH(t, login, "who"); strings.Contains(out, "pts/"+n+" ") {
		t.Errorf("who after the session on pts/%s ended: %q, want it gone", n, out)
	}
}

// TestToolboxUtmpOddFiles replaces the login files, as the guest's root
// can, with a FIFO (utmp), a symlink to /etc/passwd (wtmp) and a sparse
// file of 1 TiB (lastlog): a terminal session still starts and ends at
// once, and nothing is written through the symlink.
func TestToolboxUtmpOddFiles(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	passwd := d.mustSSH(t, "alice", "cat /etc/passwd")
	d.mustSSH(t, "alice", "rm -f /run/utmp /var/log/wtmp /var/log/lastlog && mkfifo /run/utmp && ln -s /etc/passwd /var/log/wtmp && "+
		"dd if=/dev/zero of=/var/log/lastlog bs=1 count=1 seek=1099511627775 2>/dev/null")
	start := time.Now()
	term := d.sshPTY(t, "alice", 24, 80)
	if got := term.run("echo in"); got != "in" {
		t.Errorf("a terminal session over odd login files: %q, want in", got)
	}
	term.write("exit\r")
	if code := term.wait(30 * time.Second); code != 0 {
		t.Errorf("the terminal session exited %d", code)
	}
	if took := time.Since(start); took > 15*time.Second { // a hang would be for good
		t.Errorf("a terminal session over odd login files took %v", took)
	}
	if got := d.mustSSH(t, "alice", "cat /etc/passwd"); got != passwd {
		t.Errorf("/etc/passwd behind the wtmp symlink changed: %q, want %q", got, passwd)
	}
	if got := d.mustSSH(t, "alice", "test -p /run/utmp && test -L /var/log/wtmp && ls -l /var/log/lastlog"); !strings.Contains(got, " 1099511627776 ") {
		t.Errorf("the odd login files after a session: %q, want the FIFO, the symlink and lastlog of 1 TiB as they were", got)
	}
}
