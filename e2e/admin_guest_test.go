package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAdminGuestLsShow(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	d.mustSSH(t, "bob+web", "true")
	d.mustAdmin(t, "guest", "stop", "bob+web")

	ls := d.mustAdmin(t, "guest", "ls")
	lines := strings.Split(strings.TrimSpace(ls), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^OWNER\s+NAME\s+STATE\s+IMAGE\s+ADDRESS\s+UPTIME\s+MEMORY$`).MatchString(lines[0]) {
		t.Fatalf("guest ls =\n%s", ls)
	}
	alice := regexp.MustCompile(`^alice\s+alice\s+running\s+busybox\s+10\.\d+\.\d+\.\d+\s+\d+\S*s\s+\S+$`)
	bob := regexp.MustCompile(`^bob\s+web\s+stopped\s+busybox\s+10\.\d+\.\d+\.\d+\s+-\s+-$`)
	if !alice.MatchString(lines[1]) || !bob.MatchString(lines[2]) {
		t.Errorf("guest ls rows =\n%s\nwant alice running with an uptime and memory, bob+web stopped", ls)
	}
	guests := d.adminGuests(t)
	if g := guests["alice"]; g.State != "running" || g.Pid != d.initOf(t, "alice").InitPID || g.Address != d.guestAddr(t, "alice").String() {
		t.Errorf("guest ls --json alice = %+v", g)
	}
	show := d.mustAdmin(t, "guest", "show", "bob+web")
	for _, want := range []string{"guest:     bob+web", "owner:     bob", "name:      web", "state:     stopped", "image:     busybox"} {
		if !strings.Contains(show, want) {
			t.Errorf("guest show bob+web lacks %q:\n%s", want, show)
		}
	}
	d.wantAdminError(t, 1, "guest nobody: no such guest; see vmhostd guest ls", "guest", "show", "nobody")
	d.wantAdminError(t, 2, "Usage: vmhostd guest show NAME", "guest", "show")
}

func TestAdminGuestExec(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	d.mustAdmin(t, "guest", "stop", "alice")
	res := d.admin(t, "", "guest", "exec", "alice", "--", "sh", "-c", "echo out; echo err >&2; exit 7")
	if res.code != 7 || res.stdout != "out\n" || res.stderr != "err\n" {
		t.Errorf("exec exit 7 = %+v; want exit 7, out, err", res)
	}
	res = d.admin(t, "line one\nline two\n", "guest", "exec", "alice", "--", "sh", "-c", "cat; hostname")
	if res.code != 0 || res.stdout != "line one\nline two\nalice\n" {
		t.Errorf("exec cat = %+v; want the input, then the hostname", res)
	}
	res = d.admin(t, "", "guest", "exec", "alice", "--", "sh", "-c", "kill -TERM $$")
	if res.code != 128+15 {
		t.Errorf("exec killed by SIGTERM = %+v; want exit 143", res)
	}
	res = d.admin(t, "", "guest", "exec", "alice", "-t", "--", "sh", "-c", "tty; test -t 0 && echo term")
	if res.code != 0 || !regexp.MustCompile(`^/dev/pts/\d+\r?\nterm\r?\n$`).MatchString(res.stdout) {
		t.Errorf("exec -t = %+v; want a terminal", res)
	}
	d.wantAdminError(t, 2, "no command to run", "guest", "exec", "alice")
	d.wantAdminError(t, 255, "no such guest", "guest", "exec", "nobody", "--", "true")
}

func TestAdminGuestLifecycle(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "echo hello > /root/file")
	first := d.initOf(t, "alice")

	if out := d.mustAdmin(t, "guest", "stop", "alice"); out != "guest alice: stopped\n" {
		t.Errorf("guest stop = %q", out)
	}
	if first.running() {
		t.Errorf("the init of alice still runs after guest stop")
	}
	if out := d.mustAdmin(t, "guest", "start", "alice"); out != "guest alice: running\n" {
		t.Errorf("guest start = %q", out)
	}
	second := d.initOf(t, "alice")
	d.mustAdmin(t, "guest", "restart", "alice")
	if third := d.initOf(t, "alice"); third == second || second.running() {
		t.Errorf("guest restart kept the init %+v", second)
	}
	if out := d.mustSSH(t, "alice", "cat /root/file"); out != "hello\n" {
		t.Errorf("file after stop, start and restart = %q, want it kept", out)
	}

	d.wantAdminError(t, 2, "confirm with --yes", "guest", "reset", "alice")
	d.mustAdmin(t, "guest", "reset", "alice", "--yes")
	if out, _, code := d.ssh(t, "alice", "cat /root/file"); code == 0 {
		t.Errorf("file after reset = %q, want it gone", out)
	}
	d.wantAdminError(t, 1, "guest nobody: no such guest", "guest", "stop", "nobody")
	d.wantAdminError(t, 1, `"a+b+c" is not a guest name`, "guest", "start", "a+b+c")
}

func TestAdminGuestBusyAndRemove(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	term := d.sshPTY(t, "alice", 24, 80)
	term.run("echo ready")
	poll(t, 10*time.Second, "the session counted", func() bool { return d.adminGuests(t)["alice"].Sessions == 1 })
	d.wantAdminError(t, 2, "removing guest alice deletes it with all its files; confirm with --yes", "guest", "rm", "alice", "--force")
	d.wantAdminError(t, 1, "guest alice is busy: 1 SSH connection(s) open; ask its user to log out, or remove it anyway with --force", "guest", "rm", "alice", "--yes")
	d.wantAdminError(t, 1, "stop it anyway with --force", "guest", "stop", "alice")
	st := d.initOf(t, "alice")
	d.mustAdmin(t, "guest", "rm", "alice", "--yes", "--force")
	term.wait(10 * time.Second)
	if st.running() {
		t.Errorf("the init of alice runs after guest rm")
	}
	d.checkGuestGone(t, "alice", 0)
	if _, ok := d.adminGuests(t)["alice"]; ok {
		t.Errorf("guest ls lists alice after guest rm")
	}
	d.wantAdminError(t, 1, "no such guest", "guest", "rm", "alice", "--yes")
}

func TestAdminGuestStatsAndLimits(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	out := d.mustAdmin(t, "guest", "stats")
	if !regexp.MustCompile(`(?m)^GUEST\s+STATE\s+MEMORY\s+CPU\s+PROCESSES\s+NET RX\s+NET TX\s+DISK\n^alice\s+running\s+\S+\s+\S+s\s+\d+\s+`).MatchString(out) {
		t.Errorf("guest stats =\n%s", out)
	}
	var stats []struct {
		ID          string `json:"id"`
		MemoryBytes int64  `json:"memory_bytes"`
		Processes   int64  `json:"processes"`
	}
	if err := json.Unmarshal([]byte(d.mustAdmin(t, "guest", "stats", "alice", "--json")), &stats); err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || stats[0].ID != "alice" || stats[0].MemoryBytes <= 0 || stats[0].Processes < 1 {
		t.Errorf("guest stats alice --json = %+v", stats)
	}

	pid := d.initOf(t, "alice").InitPID
	d.mustAdmin(t, "guest", "limits", "alice", "--pids", "77", "--memory", "96MiB")
	if got := readInt(t, cgroupFile(t, pid, "pids", "pids.max")); got != 77 {
		t.Errorf("pids.max after guest limits --pids 77 = %d", got)
	}
	d.mustAdmin(t, "guest", "limits", "alice", "--pids", "88")
	memFile := cgroupFile(t, pid, "memory", "memory.limit_in_bytes")
	if got := readInt(t, cgroupFile(t, pid, "pids", "pids.max")); got != 88 || readInt(t, memFile) != 96<<20 {
		t.Errorf("after --pids 88: pids.max %d, memory %d; want 88 and 96MiB kept", got, readInt(t, memFile))
	}
	d.wantAdminError(t, 1, "too little", "guest", "limits", "alice", "--memory", "1KiB")
	d.wantAdminError(t, 2, "--memory", "guest", "limits", "alice", "--memory", "lots")
	d.wantAdminError(t, 1, "no such guest", "guest", "limits", "nobody", "--pids", "5")
	d.mustAdmin(t, "guest", "restart", "alice")
	if got := readInt(t, cgroupFile(t, d.initOf(t, "alice").InitPID, "pids", "pids.max")); got != 88 {
		t.Errorf("pids.max after a restart = %d, want the guest's own 88 kept", got)
	}
}
