package sshgate

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// seededKeys are host key files made once per test binary, so that every
// test server does not spend time generating an RSA key.
var seededKeys = sync.OnceValues(func() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "vmhost-hostkeys-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if _, err := LoadOrCreateHostKeys(dir); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, name := range HostKeyFiles {
		if files[name], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			return nil, err
		}
	}
	return files, nil
})

// seedHostKeys writes the test binary's host keys into dir and returns it.
func seedHostKeys(t *testing.T, dir string) string {
	t.Helper()
	files, err := seededKeys()
	if err != nil {
		t.Fatalf("making host keys: %v", err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
