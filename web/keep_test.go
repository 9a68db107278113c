package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBrowsersKeptAcrossRestart(t *testing.T) {
	c := newClock()
	file := filepath.Join(t.TempDir(), "web-sessions.json")
	var failures []error
	fail := func(err error) { failures = append(failures, err) }
	s := newBrowsers(time.Hour, c.now, file, fail)
	alice, _, _ := s.create(link{person: "alice", owner: "alice", guest: "box"})
	bob, _, _ := s.create(link{person: "bob", owner: "bob", guest: "bob"})
	gone, _, _ := s.create(link{person: "carol", owner: "carol", guest: "carol"})
	s.remove(gone)
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the kept sessions' file: %v, %v; want mode 0600", st, err)
	}
	data, _ := os.ReadFile(file)
	for _, id := range []string{alice, bob} {
		if strings.Contains(string(data), id) {
			t.Errorf("the kept sessions' file holds a cookie: %s", data)
		}
	}

	c.add(30 * time.Minute)
	again := newBrowsers(time.Hour, c.now, file, fail)
	if err := again.load(); err != nil {
		t.Fatal(err)
	}
	b, ok := again.lookup(alice)
	if !ok || b.person != "alice" || b.guest != "box" || b.csrf == "" {
		t.Errorf("alice's session after a restart: %+v, %v", b, ok)
	}
	if _, ok := again.lookup(gone); ok {
		t.Error("a removed session is back after a restart")
	}
	if n := again.revoke("bob"); n != 1 {
		t.Errorf("revoke(bob) = %d, want 1", n)
	}
	c.add(10 * time.Minute)
	third := newBrowsers(time.Hour, c.now, file, fail)
	third.load()
	if _, ok := third.lookup(bob); ok {
		t.Error("a revoked session is back after a restart")
	}
	if _, ok := third.lookup(alice); !ok {
		t.Error("alice's session is lost after a second restart")
	}
	c.add(time.Hour)
	late := newBrowsers(time.Hour, c.now, file, fail)
	late.load()
	if len(late.byHash) != 0 {
		t.Errorf("%d expired sessions loaded", len(late.byHash))
	}
	if len(failures) != 0 {
		t.Errorf("writing the file failed: %v", failures)
	}
}

func TestBrowsersKeptFileBroken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "web-sessions.json")
	os.WriteFile(file, []byte("[{not json"), 0o600)
	s := newBrowsers(time.Hour, newClock().now, file, nil)
	if err := s.load(); err == nil {
		t.Error("a broken file loads without an error")
	}
	if len(s.byHash) != 0 {
		t.Errorf("%d sessions from a broken file", len(s.byHash))
	}
}
