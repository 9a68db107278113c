package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBadConfig checks that `vmhostd serve` refuses a bad config quickly, with
// an error that names the file, the line and the key.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// edit changes a good config into a bad one and returns the bad
		// line's text.
		edit func(t *testing.T, c daemonConfig, text string) (string, string)
		key  string
	}{
		{"UnknownKey", func(t *testing.T, c daemonConfig, text string) (string, string) {
			return replaceOnce(t, text, "listen:", "lisen:"), "lisen:"
		}, "lisen"},
		{"BadSize", func(t *testing.T, c daemonConfig, text string) (string, string) {
			bad := "    memory: 12XB"
			return replaceOnce(t, text, "  image: busybox\n", "  image: busybox\n  limits:\n"+bad+"\n"), bad
		}, "memory"},
		{"BadKeyLine", func(t *testing.T, c daemonConfig, text string) (string, string) {
			return replaceOnce(t, text, fmt.Sprintf("%q", c.keys["bob"]), `"ssh-ed25519 AAAAnot-a-key bob@e2e"`), "not-a-key"
		}, "keys"},
		{"BadSubnet", func(t *testing.T, c daemonConfig, text string) (string, string) {
			return replaceOnce(t, text, "subnet: "+c.subnet, "subnet: 10.0.0/16"), "10.0.0/16"
		}, "subnet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := prepareDaemon(t, daemonOptions{})
			text, badLine := tt.edit(t, d.cfg, d.cfg.yaml())
			d.writeConfig(t, text)
			line := lineOf(t, text, badLine)
			stderr, code := d.serveUntilExit(t, 10*time.Second)
			if code == 0 {
				t.Errorf("vmhostd serve with a bad config: exit status 0, want non-zero")
			}
			file := filepath.Base(d.configPath)
			lineRE := regexp.MustCompile(fmt.Sprintf(`(?i)(line\s*|:)%d\b`, line))
			if !strings.Contains(stderr, file) || !lineRE.MatchString(stderr) || !strings.Contains(stderr, tt.key) {
				t.Errorf("vmhostd serve: stderr %q; want it to name %s, line %d and %q", stderr, file, line, tt.key)
			}
		})
	}
}

// replaceOnce replaces the one occurrence of old in s with new.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("config has %d occurrences of %q, want 1:\n%s", n, old, s)
	}
	return strings.Replace(s, old, new, 1)
}

// lineOf returns the number, from 1, of the one line of text holding sub.
func lineOf(t *testing.T, text, sub string) int {
	t.Helper()
	found := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			if found != 0 {
				t.Fatalf("config has more than one line with %q:\n%s", sub, text)
			}
			found = i + 1
		}
	}
	if found == 0 {
		t.Fatalf("config has no line with %q:\n%s", sub, text)
	}
	return found
}

// serveUntilExit runs `vmhostd serve` and waits up to timeout for it to exit;
// it returns the daemon's stderr and exit status. A daemon still running at
// the timeout fails the test.
func (d *daemon) serveUntilExit(t *testing.T, timeout time.Duration) (stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, daemonBin, "serve", "--config", d.configPath)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("vmhostd serve with a bad config still running after %v; stderr %q", timeout, errOut.String())
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("running vmhostd: %v", err)
	}
	return errOut.String(), cmd.ProcessState.ExitCode()
}

// TestRunDirBelowPrivateDir checks that a run_dir inside a directory others
// cannot search (guests' inits could not reach their root there) stops the
// daemon at start with the path and what to do, instead of failing every
// login.
func TestRunDirBelowPrivateDir(t *testing.T) {
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	private := makeTempDir(t, "/tmp", "vmh-private-")
	t.Cleanup(func() { os.RemoveAll(private) })
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	d.cfg.runDir = filepath.Join(private, "run")
	d.writeConfig(t, d.cfg.yaml())
	stderr, code := d.serveUntilExit(t, 10*time.Second)
	if code == 0 || !strings.Contains(stderr, "chmod o+x "+private) {
		t.Errorf("vmhostd serve with run_dir under a 0700 directory: exit %d, stderr %q; want a refusal naming %s", code, stderr, private)
	}
}
