package e2e

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNamedGuests checks `alice+web`: a second guest of alice's with its own
// hostname, files and uid range, and the max_guests limit.
func TestNamedGuests(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{maxGuests: 2})

	d.mustSSH(t, "alice", "echo main > /root/who")
	if got := d.mustSSH(t, "alice+web", "hostname; cat /root/who 2>/dev/null || echo absent"); got != "web\nabsent\n" {
		t.Errorf("alice+web: hostname and /root/who = %q, want %q", got, "web\nabsent\n")
	}
	d.mustSSH(t, "alice+web", "echo web > /root/who")
	if got := d.mustSSH(t, "alice", "cat /root/who"); got != "main\n" {
		t.Errorf("alice: /root/who = %q after alice+web wrote its own, want %q", got, "main\n")
	}
	main, web := d.guest(t, "alice"), d.guest(t, "alice+web")
	if main.InitPID == web.InitPID || main.uids.outside == web.uids.outside {
		t.Errorf("alice and alice+web share an init or a uid range: %+v, %+v", main, web)
	}

	t.Run("MaxGuests", func(t *testing.T) {
		_, stderr, code := d.ssh(t, "alice+third", "true")
		if code == 0 {
			t.Errorf("alice+third: exit status 0 with max_guests 2, want a refusal")
		}
		// The message should say why: the limit.
		if !regexp.MustCompile(`(?i)max_guests|limit|too many|at most|maximum`).MatchString(stderr) {
			t.Errorf("alice+third: stderr %q does not say alice is at her limit of guests", stderr)
		}
		if dirs := guestDirs(t, d.dataDir); len(dirs) != 2 {
			t.Errorf("guests after a refused third guest: %q, want 2", dirs)
		}
	})
}

// TestPersistence checks that a guest is a persistent box: files and
// background processes survive logout, a kill -9 or a stop of the daemon;
// reboot ends the guest, and the next login starts it again with its files.
func TestPersistence(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})

	d.mustSSH(t, "alice", "echo data > /root/f")
	sleepPID := strings.TrimSpace(d.mustSSH(t, "alice", "setsid sleep 1000 >/dev/null 2>&1 </dev/null & echo $!"))
	g := d.guest(t, "alice")
	checkKept := func(t *testing.T) {
		t.Helper()
		if got := d.mustSSH(t, "alice", "cat /root/f"); got != "data\n" {
			t.Errorf("/root/f = %q, want %q", got, "data\n")
		}
		if got := d.mustSSH(t, "alice", "cat /proc/"+sleepPID+"/comm"); got != "sleep\n" {
			t.Errorf("process %s started with setsid is %q, want sleep", sleepPID, got)
		}
		if now := d.guest(t, "alice"); now.guestState != g.guestState {
			t.Errorf("guest init is %+v, want the same as before, %+v", now.guestState, g.guestState)
		}
	}

	t.Run("AfterLogout", checkKept)
	t.Run("AfterKill9", func(t *testing.T) {
		d.kill9(t)
		d.start(t)
		checkKept(t)
	})
	t.Run("AfterSIGTERM", func(t *testing.T) {
		d.stop(t)
		d.start(t)
		checkKept(t)
	})
	t.Run("Reboot", func(t *testing.T) {
		// The session dies with the guest: its status does not matter.
		d.ssh(t, "alice", "reboot || kill -TERM 1")
		gone, err := waitExit(g.InitPID, g.InitStart, 20*time.Second)
		if err != nil || !gone {
			t.Fatalf("guest init %d still there 20s after reboot (%v)", g.InitPID, err)
		}
		if got := d.mustSSH(t, "alice", "cat /root/f"); got != "data\n" {
			t.Errorf("/root/f after reboot = %q, want %q", got, "data\n")
		}
		if ps := d.mustSSH(t, "alice", "ps -o comm"); slices.Contains(strings.Fields(ps), "sleep") {
			t.Errorf("a sleep runs after reboot; ps -o comm:\n%s", ps)
		}
		if now := d.guest(t, "alice"); now.guestState == g.guestState {
			t.Errorf("guest init after reboot is the old one, %+v", now.guestState)
		}
	})
}

// TestUsersIsolated checks that two users' guests share nothing: uid ranges,
// files, processes.
func TestUsersIsolated(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})

	d.mustSSH(t, "alice", "echo secret > /root/f; setsid sleep 4242 >/dev/null 2>&1 </dev/null &")
	if got := d.mustSSH(t, "alice", "ps -o args"); !strings.Contains(got, "sleep 4242") {
		t.Fatalf("alice's ps -o args shows no sleep 4242:\n%s", got)
	}
	alice, bob := d.guest(t, "alice"), d.guest(t, "bob")
	if alice.uids.outside == bob.uids.outside {
		t.Errorf("alice and bob have the same uid range base %d", alice.uids.outside)
	}
	if _, _, code := d.ssh(t, "bob", "test -e /root/f"); code != 1 {
		t.Errorf("bob: test -e /root/f: exit status %d, want 1 (alice's file absent)", code)
	}
	if got := d.mustSSH(t, "bob", "ps -o args"); strings.Contains(got, "sleep 4242") {
		t.Errorf("bob's ps -o args shows alice's sleep 4242:\n%s", got)
	}
}

// TestAuthRefused checks that an unknown user or a key not in the config
// fails authentication and creates nothing.
func TestAuthRefused(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	foreign, _ := makeKey(t, filepath.Join(d.baseDir, "keys"), "mallory")
	tests := []struct {
		name, login, key string
	}{
		{"UnknownUser", "carol", d.keys["alice"]},
		{"UnknownUserForeignKey", "carol", foreign},
		{"ForeignKey", "alice", foreign},
		{"ForeignKeyNamedGuest", "alice+web", foreign},
		{"OtherUsersKey", "alice", d.keys["bob"]},
	}
	for _, tt := range tests {
		stdout, stderr, code := d.sshWithKey(t, tt.key, tt.login, "echo in")
		if code != 255 || stdout != "" {
			t.Errorf("%s: ssh %s: stdout %q, status %d; want a refusal (255); stderr %q",
				tt.name, tt.login, stdout, code, stderr)
		}
	}
	if dirs := guestDirs(t, d.dataDir); len(dirs) != 0 {
		t.Errorf("guests after refused logins: %q, want none", dirs)
	}
}
