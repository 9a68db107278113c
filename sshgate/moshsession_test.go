package sshgate

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeMoshServer writes a mosh-server that prints what the real one does
// on stdout, and returns its path.
func fakeMoshServer(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mosh-server")
	script := "#!/bin/sh\nprintf '\\r\\nMOSH CONNECT 60001 " + testMoshKey + "\\r\\n'\necho 'mosh-server (fake) detached' >&2\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMoshSession checks that the MOSH CONNECT line of an exec session
// running mosh-server reaches the client with the host port published
// for it, with pipes and with a terminal (ssh -tt, as mosh runs it), that
// other commands' output is left alone, and that the port goes once
// nothing in the guest has it bound, with audit lines for both.
func TestMoshSession(t *testing.T) {
	host := newFakeMoshHost()
	host.setBound("alice", 60001)
	var logs logBuffer
	ts, key := optServer(t, captureLog(t, &logs), func(o *Options) {
		o.Mosh = MoshOptions{Host: host, FirstPort: 62000, LastPort: 62009, Interval: 50 * time.Millisecond}
	})
	server := fakeMoshServer(t)
	tests := []struct {
		name string
		opts []string
		cmd  string
		want string
	}{
		{"pipes", nil, server + " new -s -c 256", "\r\nMOSH CONNECT 62000 " + testMoshKey + "\r\n"},
		{"terminal", []string{"-tt"}, server + " new -s", "\r\r\nMOSH CONNECT 62001 " + testMoshKey + "\r\r\n"},
		{"not mosh-server", nil, "printf 'MOSH CONNECT 60001 " + testMoshKey + "\\r\\n'", "MOSH CONNECT 60001 " + testMoshKey + "\r\n"},
	}
	for _, tt := range tests {
		res := ts.run(t, sshCmd{key: key, login: "alice", opts: tt.opts, args: []string{tt.cmd}})
		if res.code != 0 || !strings.HasPrefix(res.stdout, tt.want) {
			t.Errorf("%s: ssh alice %q: exit %d, stdout %q; want %q first", tt.name, tt.cmd, res.code, res.stdout, tt.want)
		}
	}
	mapped, _ := host.state()
	want := MoshMapping{Guest: "alice", Client: netip.MustParseAddr("127.0.0.1"), HostPort: 62000, GuestPort: 60001}
	if len(mapped) != 1 || mapped[62001] != (MoshMapping{Guest: "alice", Client: want.Client, HostPort: 62001, GuestPort: 60001}) {
		t.Errorf("mapped %v; want alice's 60001 on 62001 only (62000 replaced by it)", mapped)
	}
	if !hasAuditLine(logs.String(), "outcome=published host_port=62000 guest_port=60001 client=127.0.0.1") {
		t.Errorf("no audit line for the published port:\n%s", logs.String())
	}

	host.setBound("alice")
	deadline := time.Now().Add(5 * time.Second)
	for len(mapped) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		mapped, _ = host.state()
	}
	if len(mapped) != 0 {
		t.Errorf("5s after the guest's port was unbound, still mapped: %v", mapped)
	}
	if !hasAuditLine(logs.String(), "outcome=removed host_port=62001 guest_port=60001 client=127.0.0.1 reason=\"nothing in the guest has the port bound: mosh-server ended\"") {
		t.Errorf("no audit line for the removed port:\n%s", logs.String())
	}
}

// hasAuditLine reports whether logs has a "mosh port" audit line of alice's
// with text.
func hasAuditLine(logs, text string) bool {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `msg="mosh port" audit=true user=alice`) && strings.Contains(l, text) {
			return true
		}
	}
	return false
}
