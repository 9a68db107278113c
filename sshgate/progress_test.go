package sshgate

import (
	"strings"
	"testing"
)

// TestProgressOnTerminalOnly checks that what starting a guest reports, such
// as an image build, reaches a session with a terminal, in CR LF lines, and
// never an exec without one, whose output scripts read.
func TestProgressOnTerminalOnly(t *testing.T) {
	ts, key := aliceServer(t)
	ts.guests.progress = "building image debian\nimage debian built\n"
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-tt"}, args: []string{"echo done"}})
	if out := res.stdout + res.stderr; !strings.Contains(out, "building image debian\r\nimage debian built\r\n") {
		t.Errorf("ssh -tt: output %q, want the progress in CR LF lines", out)
	}
	res = ts.run(t, sshCmd{key: key, login: "alice", args: []string{"echo done"}})
	if res.stdout != "done\n" || res.stderr != "" {
		t.Errorf("ssh without a terminal: stdout %q, stderr %q; want only done", res.stdout, res.stderr)
	}
}
