package sshgate

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// newPublicKey returns a new ed25519 public key and its authorized_keys line.
func newPublicKey(t *testing.T) (ssh.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return key, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

func TestKeyStore(t *testing.T) {
	configKey, configLine := newPublicKey(t)
	fileKey, fileLine := newPublicKey(t)
	optionKey, optionLine := newPublicKey(t)
	laterKey, laterLine := newPublicKey(t)
	strangerKey, _ := newPublicKey(t)

	dir := t.TempDir()
	authFile := filepath.Join(dir, "authorized_keys")
	content := "# alice's keys\n\n" +
		"not a key at all\n" +
		fileLine + " alice@laptop\n" +
		`from="10.0.0.0/8",no-pty ` + optionLine + "\n"
	if err := os.WriteFile(authFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	store := NewKeyStore(map[string]config.User{
		"alice": {Keys: []string{configLine + " alice@desk", "garbage"}, AuthorizedKeysFile: authFile},
		"bob":   {AuthorizedKeysFile: filepath.Join(dir, "missing")},
		"carol": {},
	}, "", nil)

	tests := []struct {
		user string
		key  ssh.PublicKey
		want bool
	}{
		{"alice", configKey, true},
		{"alice", fileKey, true},
		{"alice", optionKey, false}, // from= does not match 192.0.2.1
		{"alice", strangerKey, false},
		{"alice", laterKey, false},
		{"bob", configKey, false}, // missing file: no keys
		{"carol", configKey, false},
		{"dave", configKey, false}, // unknown user
		{"", configKey, false},
	}
	for _, tt := range tests {
		if got := authorized(store, tt.user, tt.key); got != tt.want {
			t.Errorf("Authorize(%q, %s) = %v, want %v", tt.user, ssh.FingerprintSHA256(tt.key), got, tt.want)
		}
	}
	g, err := store.Authorize("alice", optionKey, netip.MustParseAddr("10.1.2.3"))
	if err != nil || !g.NoPTY || g.Via != authFile+":5" {
		t.Errorf("Authorize(alice, from= key, 10.1.2.3) = %+v, %v; want no-pty via %s:5", g, err, authFile)
	}

	// The file is read at each authentication: an added key works at once.
	if err := os.WriteFile(authFile, []byte(content+laterLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !authorized(store, "alice", laterKey) {
		t.Errorf("Authorize(alice, key added to the file) = false, want true")
	}
	if err := os.Remove(authFile); err != nil {
		t.Fatal(err)
	}
	if authorized(store, "alice", fileKey) {
		t.Errorf("Authorize(alice, key of a removed file) = true, want false")
	}
	if !authorized(store, "alice", configKey) {
		t.Errorf("Authorize(alice, configured key) = false after the file went away, want true")
	}
}

// authorized reports whether store admits key as user from 192.0.2.1.
func authorized(store *KeyStore, user string, key ssh.PublicKey) bool {
	_, err := store.Authorize(user, key, netip.MustParseAddr("192.0.2.1"))
	return err == nil
}
