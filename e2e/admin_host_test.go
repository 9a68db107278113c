package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAdminImagesAndUsers(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	ls := d.mustAdmin(t, "image", "ls")
	if !regexp.MustCompile(`(?m)^NAME\s+SOURCE\s+BUILD\s+BUILT\s+GUESTS\n^busybox\s+busybox\s+\S+\s+.+\s+alice$`).MatchString(ls) {
		t.Errorf("image ls =\n%s", ls)
	}
	d.wantAdminError(t, 1, "image busybox is in use by guest(s) alice; remove them first", "image", "rm", "busybox")
	out := d.mustAdmin(t, "image", "build", "busybox", "--rebuild")
	if !strings.Contains(out, "image busybox ready in ") || strings.Count(out, "\n") < 2 {
		t.Errorf("image build --rebuild through the daemon = %q, want progress, then ready", out)
	}
	d.wantAdminError(t, 1, `image "nope" is not defined`, "image", "build", "nope")

	users := d.mustAdmin(t, "user", "ls")
	if !regexp.MustCompile(`(?m)^alice\s+busybox\s+2\s+1\s+-\s+-\s+-\s+-\s+false\s+-\s+alice$`).MatchString(users) ||
		!regexp.MustCompile(`(?m)^bob\s+busybox\s+2\s+1\s+.*\s+-$`).MatchString(users) {
		t.Errorf("user ls =\n%s", users)
	}

	d.mustAdmin(t, "guest", "rm", "alice", "--yes")
	d.mustAdmin(t, "image", "rm", "busybox")
	if _, err := os.Stat(filepath.Join(d.dataDir, "images", "busybox")); !os.IsNotExist(err) {
		t.Errorf("image busybox is still on disk after image rm (%v)", err)
	}
	d.wantAdminError(t, 1, "not built", "image", "rm", "busybox")

	d.stop(t)
	out = d.mustAdmin(t, "image", "build", "busybox")
	if !strings.Contains(out, "image busybox ready in "+filepath.Join(d.dataDir, "images", "busybox")) {
		t.Errorf("image build without a daemon = %q", out)
	}
	d.wantAdminError(t, 1, "is the daemon running", "guest", "ls")
}

func TestAdminReload(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	term := d.sshPTY(t, "bob", 24, 80)
	term.run("echo before")
	original := d.cfg.yaml()

	// bob loses his key; his open session goes on.
	d.writeConfig(t, strings.Replace(original, d.cfg.keys["bob"], d.cfg.keys["alice"], 1))
	if out := d.mustAdmin(t, "reload"); !strings.HasPrefix(out, "reloaded "+d.configPath) {
		t.Errorf("reload = %q", out)
	}
	if _, _, code := d.ssh(t, "bob", "true"); code == 0 {
		t.Errorf("bob logged in with a key the reloaded config dropped")
	}
	if out := term.run("echo still here"); !strings.Contains(out, "still here") {
		t.Errorf("bob's session after the reload = %q, want it going on", out)
	}

	// A bad file is refused with its line; the config in use stays.
	d.writeConfig(t, original+"  carol:\n    keys: [\"not a key\"]\n")
	d.wantAdminError(t, 1, "the new configuration is refused and the one in use is kept: "+d.configPath+":", "reload")
	d.mustSSH(t, "alice", "true")

	// Limits change for running guests; SIGHUP reloads too and gives bob
	// his key back.
	pidsFile := cgroupFile(t, d.initOf(t, "alice").InitPID, "pids", "pids.max")
	d.writeConfig(t, withConfigLines(t, original, "\ndefaults:\n", "  limits: {pids: 99}\n"))
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "bob logs in after SIGHUP", func() bool { _, _, code := d.ssh(t, "bob", "true"); return code == 0 })
	if got := readInt(t, pidsFile); got != 99 {
		t.Errorf("pids.max of the running alice after the reload = %d, want 99", got)
	}
	term.write("exit\n")
	term.wait(10 * time.Second)
}

func TestAdminPermissionDenied(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	public := filepath.Join(d.baseDir, "public.yaml")
	if err := os.WriteFile(public, []byte(d.cfg.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The binary the tests built is in a directory only root can reach.
	bin := filepath.Join(d.baseDir, "vmhostd")
	data, err := os.ReadFile(daemonBin)
	if err == nil {
		err = os.WriteFile(bin, data, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	savedConfig, savedBin := d.configPath, daemonBin
	d.configPath, daemonBin = public, bin
	res := d.adminAs(t, nobody, "", "guest", "ls")
	d.configPath, daemonBin = savedConfig, savedBin
	if res.code != 1 || !strings.Contains(res.stderr, "permission denied on the socket "+filepath.Join(d.runDir, "vmhostd.sock")+": the vmhostd admin API is for root; run the command as root") {
		t.Errorf("guest ls as nobody = %+v", res)
	}
	fi, err := os.Stat(filepath.Join(d.runDir, "vmhostd.sock"))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("admin socket: %v, %v; want 0600 and owned by root", fi.Mode(), err)
	}
}

func TestAdminCrashInCreate(t *testing.T) {
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, d.cfg.yaml())
	d.startCrashing(t, "create-after-state")
	if _, _, code := d.ssh(t, "alice", "true"); code == 0 {
		t.Fatal("the login succeeded: the daemon did not crash in the create")
	}
	d.waitCrashed(t)
	if left := d.leftovers(t); len(left) != 1 || !strings.HasPrefix(left[0], ".creating-alice-") {
		t.Fatalf("after the crash, data_dir/guests holds %v; want the half-made guest", left)
	}
	d.start(t)
	d.checkGuestGone(t, "alice", 0)
	if out := d.mustSSH(t, "alice", "hostname"); out != "alice\n" {
		t.Errorf("alice after the repair = %q", out)
	}
}

func TestAdminCrashInRemove(t *testing.T) {
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	d.mustSSH(t, "bob", "true")
	st := d.initOf(t, "alice")
	d.stop(t)
	d.startCrashing(t, "remove-after-rename")
	if res := d.admin(t, "", "guest", "rm", "alice", "--yes"); res.code == 0 {
		t.Fatalf("guest rm succeeded: the daemon did not crash in the remove: %+v", res)
	}
	d.waitCrashed(t)
	if st.running() {
		t.Errorf("the init of alice runs after its remove began")
	}
	if left := d.leftovers(t); len(left) != 1 || !strings.HasPrefix(left[0], ".removing-alice-") {
		t.Fatalf("after the crash, data_dir/guests holds %v; want the half-removed guest", left)
	}
	d.start(t)
	d.checkGuestGone(t, "alice", 1)
	guests := d.adminGuests(t)
	if _, ok := guests["alice"]; ok || guests["bob"].State != "running" {
		t.Errorf("guests after the repair = %+v; want bob running, alice gone", guests)
	}
}

func TestAdminIdleStopAndAutostart(t *testing.T) {
	d := prepareDaemon(t, daemonOptions{})
	text := withConfigLines(t, d.cfg.yaml(), "  alice:\n", "    autostart: true\n")
	d.writeConfig(t, withConfigLines(t, text, "  bob:\n", "    idle_stop: 1s\n"))
	d.start(t)

	// bob's guest stops once idle, and not while a process of his runs.
	d.mustSSH(t, "bob", "nohup sleep 1000 >/dev/null 2>&1 &")
	d.mustSSH(t, "alice", "true")
	time.Sleep(3 * time.Second) // three idle_stops: a check would have stopped it
	if g := d.adminGuests(t)["bob"]; g.State != "running" {
		t.Fatalf("bob's guest with a process running is %s, want running", g.State)
	}
	d.mustSSH(t, "bob", "killall sleep")
	poll(t, 30*time.Second, "bob's idle guest stopped", func() bool { return d.adminGuests(t)["bob"].State == "stopped" })
	if out := d.mustSSH(t, "bob", "echo back"); out != "back\n" {
		t.Errorf("bob's guest after its idle stop = %q", out)
	}
	if g := d.adminGuests(t)["alice"]; g.State != "running" {
		t.Errorf("alice's guest, without idle_stop, is %s", g.State)
	}

	// alice's guest starts with the daemon; bob's does not.
	d.mustAdmin(t, "guest", "stop", "alice")
	d.mustAdmin(t, "guest", "stop", "bob", "--force")
	d.stop(t)
	d.start(t)
	poll(t, 30*time.Second, "alice's guest autostarted", func() bool { return d.adminGuests(t)["alice"].State == "running" })
	if g := d.adminGuests(t)["bob"]; g.State != "stopped" {
		t.Errorf("bob's guest, without autostart, is %s after a daemon start", g.State)
	}
}
