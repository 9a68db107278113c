package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExec checks `ssh alice CMD`: exit status, separate stdout and stderr,
// exit-signal.
func TestExec(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})

	t.Run("ExitStatus", func(t *testing.T) {
		_, stderr, code := d.ssh(t, "alice", "exit 3")
		if code != 3 {
			t.Errorf("ssh alice 'exit 3': exit status %d, want 3; stderr %q", code, stderr)
		}
	})
	t.Run("StdoutAndStderrApart", func(t *testing.T) {
		stdout, stderr, code := d.ssh(t, "alice", "echo out; echo err >&2")
		if stdout != "out\n" || stderr != "err\n" || code != 0 {
			t.Errorf("ssh alice 'echo out; echo err >&2' = stdout %q, stderr %q, status %d; want %q, %q, 0",
				stdout, stderr, code, "out\n", "err\n")
		}
	})
	t.Run("ExitSignal", func(t *testing.T) {
		// OpenSSH exits 255 when the server reports exit-signal.
		_, stderr, code := d.ssh(t, "alice", "kill -KILL $$")
		if code != 255 {
			t.Errorf("ssh alice 'kill -KILL $$': exit status %d, want 255; stderr %q", code, stderr)
		}
	})
}

// TestGuestInside checks what a guest looks like from inside: its own init as
// PID 1, hostname, root, /proc, /sys, /dev, a network namespace of its own and
// a uid range of its own.
func TestGuestInside(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	tests := []struct {
		cmd  string
		want string
	}{
		{"cat /proc/1/comm", "vmhost-init\n"},
		{"hostname", "alice\n"},
		{"id -u", "0\n"},
		{"cat /run/systemd/container", "vmhost\n"},                        // systemd-detect-virt -c: container-other
		{"echo ~alice; cd ~alice && pwd; whoami", "/root\n/root\nroot\n"}, // the login name is root's alias
		{"ls -d /proc/self /sys/class /dev/null /dev/pts/ptmx /dev/shm /tmp >/dev/null && echo ok", "ok\n"},
	}
	for _, tt := range tests {
		if got := d.mustSSH(t, "alice", tt.cmd); got != tt.want {
			t.Errorf("ssh alice %q = %q, want %q", tt.cmd, got, tt.want)
		}
	}
	t.Run("Processes", func(t *testing.T) { checkGuestProcesses(t, d.mustSSH(t, "alice", "ps -o pid,comm")) })
	t.Run("Network", func(t *testing.T) { checkGuestLinks(t, d.mustSSH(t, "alice", "ip link")) })
	t.Run("UIDMap", func(t *testing.T) {
		m, err := parseIDMap(d.mustSSH(t, "alice", "cat /proc/self/uid_map"))
		if err != nil {
			t.Fatal(err)
		}
		if m.inside != 0 || m.outside == 0 || m.count != 65536 {
			t.Errorf("guest uid_map = %+v, want 0 BASE 65536 with BASE != 0", m)
		}
	})
}

// checkGuestProcesses checks the output of busybox `ps -o pid,comm` in a new
// guest: PID 1 is vmhost-init, and there are only a few processes.
func checkGuestProcesses(t *testing.T, ps string) {
	t.Helper()
	comms := map[string]string{} // pid -> command
	for _, line := range strings.Split(strings.TrimSpace(ps), "\n")[1:] {
		if f := strings.Fields(line); len(f) == 2 {
			comms[f[0]] = f[1]
		}
	}
	if comms["1"] != "vmhost-init" {
		t.Errorf("ps: PID 1 is %q, want vmhost-init; ps output:\n%s", comms["1"], ps)
	}
	if len(comms) > 8 {
		t.Errorf("ps: %d processes in a new guest, want a few; ps output:\n%s", len(comms), ps)
	}
}

// linkRE matches the first line of a link in `ip link`: index, name, flags.
var linkRE = regexp.MustCompile(`(?m)^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>`)

// checkGuestLinks checks that `ip link` shows lo and eth0, both up, and no
// other link: the guest's network namespace is its own.
func checkGuestLinks(t *testing.T, ipLink string) {
	t.Helper()
	links := linkRE.FindAllStringSubmatch(ipLink, -1)
	if len(links) != 2 || links[0][1] != "lo" || links[1][1] != "eth0" {
		t.Fatalf("ip link: want lo and eth0; got:\n%s", ipLink)
	}
	for _, l := range links {
		if flags := strings.Split(l[2], ","); !containsAll(flags, []string{"UP"}) {
			t.Errorf("ip link: %s is not UP; got:\n%s", l[1], ipLink)
		}
	}
}

// promptRE matches a root shell prompt. It is not anchored at the end:
// busybox's line editing writes escape sequences after it.
var promptRE = regexp.MustCompile(`[#$] `)

// TestPTYShell checks an interactive login: the prompt, root, hostname, the
// window size and its changes, Ctrl-C, exit; and that the shell runs on the
// host under the guest's own uid.
func TestPTYShell(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	term := d.sshPTY(t, "alice", 24, 80)
	term.expect(promptRE, 30*time.Second)

	if got := term.run("id -u"); got != "0" {
		t.Errorf("id -u = %q, want 0", got)
	}
	if got := term.run("hostname"); got != "alice" {
		t.Errorf("hostname = %q, want alice", got)
	}
	if got := term.run("stty size"); got != "24 80" {
		t.Errorf("stty size = %q, want 24 80", got)
	}
	if got := term.run(`[ "$SSH_TTY" = "$(tty)" ] && echo "$SSH_TTY"`); !strings.HasPrefix(got, "/dev/pts/") {
		t.Errorf("SSH_TTY = %q, want the session's terminal, as sshd sets it", got)
	}
	checkShellHostUID(t, d, term)

	// The new size reaches the guest as a window-change request, which may
	// trail the next command: ask until it shows.
	term.resize(40, 120)
	deadline := time.Now().Add(10 * time.Second)
	for got := term.run("stty size"); got != "40 120"; got = term.run("stty size") {
		if time.Now().After(deadline) {
			t.Fatalf("stty size = %q 10s after resizing to 40x120", got)
		}
	}

	// echo runs in the same process as sleep: once READY shows, Ctrl-C goes
	// to it. The typed line, echoed back, shows RE""ADY.
	term.write(`sh -c 'echo "RE""ADY"; exec sleep 100'` + "\r")
	term.expect(regexp.MustCompile(`READY`), 20*time.Second)
	term.write("\x03")
	term.write(`echo "@@B"$?"@@E"` + "\r")
	if got := term.expect(markedRE, 20*time.Second)[1]; got != "130" {
		t.Errorf("$? after Ctrl-C of sleep = %q, want 130", got)
	}

	term.write("exit\r")
	if code := term.wait(20 * time.Second); code != 0 {
		t.Errorf("ssh -tt: exit status %d after exit, want 0", code)
	}
}

// checkShellHostUID checks that the shell on term runs on the host as the
// first uid of the guest's range: root inside is an unused uid outside.
func checkShellHostUID(t *testing.T, d *daemon, term *terminal) {
	t.Helper()
	nsPID, err := strconv.Atoi(term.run("echo $$"))
	if err != nil {
		t.Fatalf("pid of the shell: %v", err)
	}
	g := d.guest(t, "alice")
	pid, err := hostPID(g.InitPID, nsPID)
	if err != nil {
		t.Fatal(err)
	}
	uids, err := statusField(pid, "Uid")
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.FormatUint(uint64(g.uids.outside), 10); len(uids) == 0 || uids[0] != want {
		t.Errorf("guest shell (host pid %d) runs as host uids %v, want %s", pid, uids, want)
	}
	if g.uids.outside == 0 {
		t.Errorf("guest root is host uid 0")
	}
}

// TestExecRootShell checks that `ssh host CMD` runs CMD with root's login
// shell from the guest's /etc/passwd, as sshd runs it with the user's, and
// sets SHELL to it, after a start (the init reads it at setup) as after an
// interactive login.
func TestExecRootShell(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	if got := d.mustSSH(t, "alice", "echo $SHELL"); got != "/bin/sh\n" {
		t.Errorf("SHELL = %q, want root's shell /bin/sh", got)
	}
	d.mustSSH(t, "alice", `printf '#!/bin/sh\necho via-shell\nexec /bin/sh "$@"\n' > /bin/vmtest-shell && chmod 755 /bin/vmtest-shell && `+
		`sed -i 's#^root:\(.*\):[^:]*$#root:\1:/bin/vmtest-shell#' /etc/passwd && grep ^root: /etc/passwd`)
	d.mustAdmin(t, "guest", "restart", "alice")
	for i := range 2 {
		if got := d.mustSSH(t, "alice", "echo $SHELL"); got != "via-shell\n/bin/vmtest-shell\n" {
			t.Errorf("command %d after root's shell changed and a restart: %q, want it run by /bin/vmtest-shell", i+1, got)
		}
	}
	// Back to /bin/sh without a restart: an interactive login reads it.
	d.mustSSH(t, "alice", `sed -i 's#^root:\(.*\):[^:]*$#root:\1:/bin/sh#' /etc/passwd`)
	term := d.sshPTY(t, "alice", 24, 80)
	if got := term.run("echo $SHELL"); got != "/bin/sh" {
		t.Errorf("SHELL of a login shell = %q, want /bin/sh", got)
	}
	if got := d.mustSSH(t, "alice", "echo $SHELL"); got != "/bin/sh\n" {
		t.Errorf("a command after the login: %q, want it run by /bin/sh again", got)
	}
}
