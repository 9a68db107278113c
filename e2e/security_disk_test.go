package e2e

import (
	"strconv"
	"testing"
)

func TestSecurityDiskFillStaysInItsGuest(t *testing.T) {
	requireDisks(t)
	var d *daemon
	t.Cleanup(func() {
		if d != nil {
			checkNoLoops(t, d.baseDir)
		}
	})
	d = prepareDaemon(t, daemonOptions{maxGuests: 3})
	d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "users:\n  alice:\n", "    limits: {disk: 32MiB, inodes: 4096}\n"))
	d.start(t)
	d.uploadAttacker(t, "alice")

	facts := d.attack(t, "alice", "disk-fill", "/var/fill")
	t.Logf("disk-fill in alice: %v", facts)
	num := func(key string) int64 {
		n, err := strconv.ParseInt(facts[key], 10, 64)
		if err != nil {
			t.Fatalf("disk-fill reported %s=%q, want a number", key, facts[key])
		}
		return n
	}
	if size := num("root_size"); size < 32<<20 || size > 36<<20 {
		t.Errorf("statfs / in alice: %d bytes, want her 32MiB disk", size)
	}
	if e := facts["fill_err"]; e != "ENOSPC" && e != "EDQUOT" {
		t.Errorf("filling alice's disk ended with %q, want ENOSPC or EDQUOT", e)
	}
	if n := num("fill_bytes"); n > 32<<20 || n < 20<<20 {
		t.Errorf("alice wrote %d bytes before her disk was full, want up to her 32MiB", n)
	}
	if e := facts["files_err"]; e != "ENOSPC" && e != "EDQUOT" {
		t.Errorf("making files in alice's disk ended with %q, want ENOSPC or EDQUOT", e)
	}
	if n := num("files_made"); n > 8192 {
		t.Errorf("alice made %d files, want at most about her 4096 inodes", n)
	}

	// Her neighbour, a new guest and the daemon's own state are untouched.
	if out := d.mustSSH(t, "bob", "echo data > /f && cat /f"); out != "data\n" {
		t.Errorf("bob writing a file = %q, want data", out)
	}
	if out := d.mustSSH(t, "bob+new", "echo up"); out != "up\n" {
		t.Errorf("a new guest of bob = %q, want up", out)
	}
	d.mustAdmin(t, "guest", "limits", "alice", "--pids", "300")
	d.mustAdmin(t, "guest", "restart", "alice")
	if out := d.mustSSH(t, "alice", "echo back"); out != "back\n" {
		t.Errorf("alice after her restart = %q, want back", out)
	}
}
