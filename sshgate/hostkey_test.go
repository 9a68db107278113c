package sshgate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostKeyCreateAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "ssh_host_ed25519_key")
	first, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateHostKey(%s) creating: %v", path, err)
	}
	if got := first.PublicKey().Type(); got != "ssh-ed25519" {
		t.Errorf("created key type = %q, want ssh-ed25519", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("created key mode = %04o, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
		t.Errorf("key file does not start with an OpenSSH PEM header:\n%s", data)
	}
	second, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateHostKey(%s) reloading: %v", path, err)
	}
	if !bytes.Equal(first.PublicKey().Marshal(), second.PublicKey().Marshal()) {
		t.Errorf("reloaded host key differs from the created one")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key (temporary file left?)", len(entries))
	}
}

func TestHostKeyErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		mode    os.FileMode
		wantErr string
	}{
		{"group readable", "", 0o640, "chmod 600"},
		{"world readable", "", 0o644, "chmod 600"},
		{"garbage", "not a key\n", 0o600, "parsing host key"},
		{"empty", "", 0o600, "parsing host key"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(path, []byte(tt.data), tt.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tt.mode); err != nil { // umask-proof
			t.Fatal(err)
		}
		_, err := LoadOrCreateHostKey(path)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: LoadOrCreateHostKey = %v, want an error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestHostKeyBadPaths(t *testing.T) {
	for _, path := range []string{"", t.TempDir()} {
		if _, err := LoadOrCreateHostKey(path); err == nil {
			t.Errorf("LoadOrCreateHostKey(%q) = nil error, want one", path)
		}
	}
}
