package e2e

import (
	"strings"
	"testing"
)

// TestAdminCrashAfterInitStart kills the daemon in a guest's first start,
// once its init runs with an address and before guest.json says so. After a
// restart the running init is found again (in the guest's cgroup, never by
// asking the guest), the address is not given to another guest, and no
// second init is started.
func TestAdminCrashAfterInitStart(t *testing.T) {
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, d.cfg.yaml())
	d.startCrashing(t, "start-after-init")
	if _, _, code := d.ssh(t, "alice", "true"); code == 0 {
		t.Fatal("the login succeeded: the daemon did not crash in the start")
	}
	d.waitCrashed(t)
	d.start(t)
	d.mustSSH(t, "alice", "touch /root/after-crash")
	d.mustSSH(t, "bob", "true")
	guests := d.adminGuests(t)
	alice, bob := guests["alice"], guests["bob"]
	if alice.Address == "" || alice.Address == bob.Address {
		t.Errorf("after the crash: alice at %q, bob at %q; want two different addresses", alice.Address, bob.Address)
	}
	eth0 := d.mustSSH(t, "alice", "ip -4 -o addr show eth0")
	if !strings.Contains(eth0, " "+alice.Address+"/") {
		t.Errorf("alice's eth0 is %q; guest ls says %s", eth0, alice.Address)
	}
	if out := d.mustSSH(t, "alice", "ps -o comm | grep -c vmhost-init"); out != "1\n" {
		t.Errorf("inits in alice's guest: %q, want 1", out)
	}
}
