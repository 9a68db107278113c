package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditTee checks that the audit lines, and they alone, go to the
// audit file as JSON, through loggers made With more attributes, and that
// Reopen follows a rename (as logrotate does).
func TestAuditTee(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	f, err := openAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	log := slog.New(newAuditTee(slog.NewTextHandler(&stderr, nil), f))
	audit := log.With("audit", true)
	audit.With("user", "alice").Info("login", "outcome", "accepted")
	log.Info("not audit", "n", 1)
	log.Info("admin watches a session", "audit", true, "guest", "alice")
	log.With("audit", false).Info("not audit either")
	log.WithGroup("g").With("audit", true).Info("grouped")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	audit.Info("after rotation")

	rotated := jsonLines(t, path+".1")
	if len(rotated) != 3 {
		t.Fatalf("rotated audit file has %d lines, want 3: %v", len(rotated), rotated)
	}
	if rotated[0]["msg"] != "login" || rotated[0]["user"] != "alice" || rotated[0]["audit"] != true || rotated[0]["outcome"] != "accepted" {
		t.Errorf("first audit line = %v", rotated[0])
	}
	if rotated[1]["msg"] != "admin watches a session" || rotated[2]["msg"] != "grouped" {
		t.Errorf("audit lines = %v", rotated)
	}
	if now := jsonLines(t, path); len(now) != 1 || now[0]["msg"] != "after rotation" {
		t.Errorf("audit file after Reopen = %v, want the line after rotation", now)
	}
	if n := strings.Count(stderr.String(), "\n"); n != 6 {
		t.Errorf("the daemon's log has %d lines, want all 6:\n%s", n, stderr.String())
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, want 0600", st.Mode().Perm())
	}
}

// jsonLines reads a file of JSON lines.
func jsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %q is not JSON: %v", path, line, err)
		}
		out = append(out, m)
	}
	return out
}
