package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resetState says how far a reset of alice got, on disk.
type resetState struct {
	away       bool // the .resetting directory was made
	upperMoved bool
	workMoved  bool
	recorded   bool // guest.json says Rootfs ""
	deleted    bool // the .resetting directory is gone
}

// layOut puts alice's files where a reset that got as far as s left them.
func (s resetState) layOut(t *testing.T, base string) {
	t.Helper()
	guests := filepath.Join(base, "data", "guests")
	dir, away := filepath.Join(guests, "alice"), filepath.Join(guests, resettingPrefix+"alice-1733300000000000000")
	touch(t, filepath.Join(dir, upperDir, "root", "file"), filepath.Join(dir, workSubdir, "work", "x"))
	if s.away {
		mkdirs(t, away)
	}
	if s.upperMoved {
		os.Rename(filepath.Join(dir, upperDir), filepath.Join(away, upperDir))
	}
	if s.workMoved {
		os.Rename(filepath.Join(dir, workSubdir), filepath.Join(away, workSubdir))
	}
	if s.recorded {
		st, _ := readState(dir)
		st.Rootfs = ""
		writeState(dir, st)
	}
	if s.deleted {
		os.RemoveAll(away)
	}
}

// checkReset fails unless alice in m has no file of her own and starts from
// her image's current build, with nothing of the reset left.
func checkReset(t *testing.T, m *Manager, base string) {
	t.Helper()
	dir := m.guestDir("alice")
	for _, d := range []string{upperDir, workSubdir} {
		if exists(filepath.Join(dir, d)) {
			t.Errorf("%s of alice is left after her reset", d)
		}
	}
	in, err := m.Get("alice")
	if err != nil || in.Rootfs != "" {
		t.Errorf("alice after her reset: rootfs %q, %v; want none (the image's current build)", in.Rootfs, err)
	}
	st, err := readState(dir)
	if err != nil || st.Rootfs != "" {
		t.Errorf("guest.json of alice after her reset: %+v, %v; want no rootfs", st, err)
	}
	entries, _ := os.ReadDir(filepath.Join(base, "data", "guests"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s is left in guests/ after the reset", e.Name())
		}
	}
}

func TestReset(t *testing.T) {
	base := t.TempDir()
	testGuests(t, base, "alice", "bob")
	resetState{}.layOut(t, base)
	touch(t, filepath.Join(base, "data", "guests", "bob", upperDir, "kept"))
	m := loadManager(t, base, nil)
	if err := m.Reset("alice"); err != nil {
		t.Fatalf("Reset(alice) = %v", err)
	}
	checkReset(t, m, base)
	if !exists(filepath.Join(m.guestDir("bob"), upperDir, "kept")) {
		t.Errorf("bob's files went with alice's reset")
	}
}

func TestResetErrorKeepsFiles(t *testing.T) {
	base := t.TempDir()
	testGuests(t, base, "alice")
	resetState{}.layOut(t, base)
	m := loadManager(t, base, nil)
	dir := m.guestDir("alice")
	// guest.json cannot be replaced: the reset must leave every file.
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if os.Geteuid() == 0 {
		// root writes anyway; a directory in the way of the temporary
		// file's rename does it.
		os.Chmod(dir, 0o700)
		os.Remove(filepath.Join(dir, stateFile))
		mkdirs(t, filepath.Join(dir, stateFile, "x"))
	}
	if err := m.Reset("alice"); err == nil {
		t.Fatal("Reset(alice) with a state that cannot be written = nil, want an error")
	}
	for _, f := range []string{filepath.Join(upperDir, "root", "file"), filepath.Join(workSubdir, "work", "x")} {
		if !exists(filepath.Join(dir, f)) {
			t.Errorf("%s of alice is gone after a reset that failed", f)
		}
	}
	if in, _ := m.Get("alice"); in.Rootfs != "/builds/1" {
		t.Errorf("alice after a failed reset: rootfs %q, want /builds/1 kept", in.Rootfs)
	}
}

func TestFinishInterruptedReset(t *testing.T) {
	for _, s := range []resetState{
		{away: true},
		{away: true, upperMoved: true},
		{away: true, upperMoved: true, workMoved: true},
		{away: true, upperMoved: true, workMoved: true, recorded: true},
		{away: true, upperMoved: true, workMoved: true, recorded: true, deleted: true},
	} {
		base := t.TempDir()
		testGuests(t, base, "alice", "bob")
		s.layOut(t, base)
		mkdirs(t, filepath.Join(base, "data", "guests", resettingPrefix+"carol-17"))
		touch(t, filepath.Join(base, "data", "guests", "bob", upperDir, "kept"))
		m := loadManager(t, base, nil)
		t.Logf("a crash at %+v", s)
		checkReset(t, m, base)
		if in, _ := m.Get("bob"); in.Rootfs != "/builds/1" || !exists(filepath.Join(m.guestDir("bob"), upperDir, "kept")) {
			t.Errorf("bob changed with alice's reset: %+v", in)
		}
	}
}

func TestResetLeftoverName(t *testing.T) {
	for _, tt := range []struct {
		name, id string
		ok       bool
	}{
		{".resetting-alice-1733300000000000000", "alice", true},
		{".resetting-a-b+web-c-12", "a-b+web-c", true},
		{".resetting-alice", "", false},
		{".resetting--12", "", false},
		{".resetting-alice-x1", "", false},
		{".removing-alice-12", "", false},
	} {
		id, ok := resetLeftover(tt.name)
		if id != tt.id || ok != tt.ok {
			t.Errorf("resetLeftover(%q) = %q, %v; want %q, %v", tt.name, id, ok, tt.id, tt.ok)
		}
	}
}
