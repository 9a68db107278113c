package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAdminGuestAutostart: a guest's own autostart beats its owner's, and
// `default` goes back to the owner's, across "reboots" (the daemon stopped,
// every guest's init killed, the daemon started).
//
// The daemon autostarts guests one after the other in the order of their
// ids (alice, alice+web, bob), so once a later guest has started, the
// decision about every earlier one has been made: that is how the test
// knows a guest was left stopped on purpose, without waiting for a while.
func TestAdminGuestAutostart(t *testing.T) {
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "  alice:\n", "    autostart: false\n"))
	d.start(t)
	for _, login := range []string{"alice", "alice+web", "bob"} {
		d.mustSSH(t, login, "true")
	}
	if res := d.admin(t, "", "guest", "autostart", "--help"); res.code != 0 || !strings.Contains(res.stderr, "vmhostd guest autostart NAME on|off|default") {
		t.Errorf("guest autostart --help = exit %d, stderr %q", res.code, res.stderr)
	}
	d.wantAdminError(t, 2, `autostart "maybe": write on, off, or default`, "guest", "autostart", "alice+web", "maybe")
	d.wantAdminError(t, 1, "no such guest", "guest", "autostart", "alice+nope", "on")

	if out := d.mustAdmin(t, "guest", "autostart", "alice+web", "on"); out != "guest alice+web: autostart on (the guest's own)\n" {
		t.Errorf("guest autostart alice+web on = %q", out)
	}
	wantShown(t, d, "alice+web", "autostart: on (the guest's own)")
	wantShown(t, d, "alice", "autostart: off (its owner's)")
	wantStateFile(t, d, "alice+web", `"autostart": true`, true)

	// alice+web starts with the daemon though alice's guests do not.
	d.rebootHost(t)
	poll(t, 30*time.Second, "alice+web autostarted", func() bool { return d.adminGuests(t)["alice+web"].State == "running" })
	if g := d.adminGuests(t)["alice"]; g.State != "stopped" {
		t.Errorf("alice's guest, with her autostart off and none of its own, is %s after a daemon start", g.State)
	}

	// default: alice+web is alice's again (off); bob's is on of its own.
	if out := d.mustAdmin(t, "guest", "autostart", "alice+web", "default"); out != "guest alice+web: autostart off (its owner's)\n" {
		t.Errorf("guest autostart alice+web default = %q", out)
	}
	wantStateFile(t, d, "alice+web", `"autostart"`, false)
	d.mustAdmin(t, "guest", "autostart", "bob", "on")
	d.rebootHost(t)
	poll(t, 30*time.Second, "bob autostarted", func() bool { return d.adminGuests(t)["bob"].State == "running" })
	guests := d.adminGuests(t)
	if guests["alice"].State != "stopped" || guests["alice+web"].State != "stopped" {
		t.Errorf("after autostart default: alice is %s, alice+web is %s; want both stopped, as alice's autostart is off",
			guests["alice"].State, guests["alice+web"].State)
	}
}

// rebootHost does to the daemon's guests what a reboot of the host does:
// it stops the daemon, which leaves them running, kills every guest's init
// (the one guest.json names, by pid and start time), and starts the daemon.
func (d *daemon) rebootHost(t *testing.T) {
	t.Helper()
	d.stop(t)
	states, err := guestStates(d.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for dir, st := range states {
		if !st.running() {
			continue
		}
		if err := killProcess(st.InitPID, st.InitStart, 10*time.Second); err != nil {
			t.Fatalf("killing the init of guest %s: %v", dir, err)
		}
	}
	d.start(t)
}

// wantShown fails the test unless `vmhostd guest show id` has the line want.
func wantShown(t *testing.T, d *daemon, id, want string) {
	t.Helper()
	if out := d.mustAdmin(t, "guest", "show", id); !strings.Contains(out, "\n"+want+"\n") {
		t.Errorf("guest show %s =\n%s\nwant the line %q", id, out, want)
	}
}

// wantStateFile fails the test unless guest id's guest.json holds text, or
// does not when want is false.
func wantStateFile(t *testing.T, d *daemon, id, text string, want bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(d.dataDir, "guests", id, "guest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), text) != want {
		t.Errorf("guest.json of %s =\n%s\nwant %q in it: %v", id, data, text, want)
	}
}
