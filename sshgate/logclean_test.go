package sshgate

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"alice", 256, "alice"},
		{"été", 256, "été"},
		{"a\nb", 256, `a\nb`},
		{"\x1b[31mred", 256, `\x1b[31mred`},
		{"zero\u200bwidth", 256, `zero\u200bwidth`},
		{"bad\xffbyte", 256, `bad\xffbyte`},
		{long, 256, strings.Repeat("a", 256) + "…[cut: 300 bytes]"},
		{"ééé", 5, "éé…[cut: 6 bytes]"},
		{"ab\ncd", 4, `ab\n…[cut: 5 bytes]`},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.max); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestCleanHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(newCleanHandler(slog.NewTextHandler(&buf, nil)))
	huge := strings.Repeat("x", 100<<10)
	log.With("user", huge).WithGroup("g").Info("login",
		"command", "echo\nforged line", "err", errors.New(huge), "n", 42,
		slog.Group("fwd", "path", huge), "any", []string{huge})
	out := buf.String()
	if len(out) > 4096 {
		t.Errorf("a line with 100 KB values is %d bytes long, want it under 4 KB", len(out))
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("the line was split: %q", out)
	}
	for _, want := range []string{"user=", "…[cut: 102400 bytes]", `g.command="echo\\nforged line"`, "g.n=42", "g.fwd.path="} {
		if !strings.Contains(out, want) {
			t.Errorf("log line %q lacks %q", out, want)
		}
	}
}

// A login name of 100 KB, refused, leaves only short log lines, and past the
// burst of failure lines the source's refusals are counted, not written.
func TestLongLoginNameLog(t *testing.T) {
	var logs logBuffer
	ts, key := optServer(t, captureLog(t, &logs), func(o *Options) { o.Penalty.Disabled = true })
	login := "alice" + strings.Repeat("\n"+`level=ERROR msg="forged"`, 4000)
	for range failureBurst + 5 {
		c, err := ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{
			User:            login,
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(key.signer(t))},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(),
			Timeout:         sshTimeout,
		})
		if err == nil {
			c.Close()
			t.Fatalf("a login as a 100 KB name succeeded")
		}
	}
	out := logs.String()
	for line := range strings.Lines(out) {
		if len(line) > 4096 {
			t.Errorf("a log line of %d bytes: %.200q...", len(line), line)
		}
		if strings.HasPrefix(line, `level=ERROR msg="forged"`) {
			t.Errorf("a forged log line: %q", line)
		}
	}
	if got := strings.Count(out, "msg=login"); got != failureBurst {
		t.Errorf("%d login lines for %d refusals from one source, want %d", got, failureBurst+5, failureBurst)
	}
}
