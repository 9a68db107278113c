package guest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

// fakeStorage keeps each guest's "disk" in a directory of its own and
// records what the manager asks of it.
type fakeStorage struct {
	dir   string
	mu    sync.Mutex
	calls []string
	sizes map[string]config.Size
}

func newFakeStorage(t *testing.T) *fakeStorage {
	return &fakeStorage{dir: t.TempDir(), sizes: map[string]config.Size{}}
}

func (f *fakeStorage) record(call, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call+" "+id)
}

func (f *fakeStorage) Has(id string) bool {
	_, err := os.Stat(filepath.Join(f.dir, id))
	return err == nil
}

func (f *fakeStorage) Attach(id string, l config.Limits) (string, error) {
	f.record("attach", id)
	f.sizes[id] = l.Disk
	return filepath.Join(f.dir, id), os.MkdirAll(filepath.Join(f.dir, id), 0o700)
}

func (f *fakeStorage) Detach(id string) error { f.record("detach", id); return nil }

func (f *fakeStorage) Mounted(id string) (string, bool) { return "", false }

func (f *fakeStorage) Resize(id string, l config.Limits) error {
	f.record("resize", id)
	f.sizes[id] = l.Disk
	return nil
}

// fakeUsage is what every fakeStorage disk holds.
var fakeUsage = DiskUsage{Bytes: 1000, LimitBytes: 64 << 20, Inodes: 10, LimitInodes: 5000}

func (f *fakeStorage) Usage(id string) (DiskUsage, error) { return fakeUsage, nil }

func (f *fakeStorage) Remove(id string) error {
	f.record("remove", id)
	return os.RemoveAll(filepath.Join(f.dir, id))
}

func (f *fakeStorage) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func TestGuestFilesOnItsDisk(t *testing.T) {
	opts := testOptions(t)
	fs := newFakeStorage(t)
	opts.Storage = fs
	opts.Policy = limitPolicy{testPolicy{max: 2}, config.Limits{Disk: 64 * config.MiB}}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, st := run(t, g, "/bin/sh", "-c", "echo hi > /mine"); st.Code != 0 {
		t.Fatalf("writing a file in the guest: %+v", st)
	}
	if b, err := os.ReadFile(filepath.Join(fs.dir, "alice", upperDir, "mine")); string(b) != "hi\n" {
		t.Errorf("the guest's file on its disk = %q, %v; want hi", b, err)
	}
	if _, err := os.Stat(filepath.Join(m.guestDir("alice"), upperDir)); !os.IsNotExist(err) {
		t.Errorf("upper/ in the guest's directory: %v, want none", err)
	}
	if st, err := m.Stats("alice"); err != nil || st.Disk != fakeUsage {
		t.Errorf("Stats(alice).Disk = %+v, %v; want %+v", st.Disk, err, fakeUsage)
	}
	if err := m.SetLimits("alice", config.Limits{Disk: 100 * config.MiB}); err != nil || fs.sizes["alice"] != 100*config.MiB {
		t.Errorf("SetLimits(disk 100MiB) = %v, disk size %s", err, fs.sizes["alice"])
	}
	if err := m.Reset("alice"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	want := []string{"attach alice", "resize alice", "detach alice", "remove alice", "detach alice", "remove alice"}
	if got := fs.takeCalls(); !cmp.Equal(got, want) {
		t.Errorf("storage calls = %q, want %q", got, want)
	}
}

func TestGuestMadeBeforeDiskLimitKeepsItsFiles(t *testing.T) {
	opts := testOptions(t)
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Open(context.Background(), "bob", "bob")
	if err != nil {
		t.Fatal(err)
	}
	run(t, g, "/bin/sh", "-c", "echo old > /kept")
	if err := m.Stop("bob"); err != nil {
		t.Fatal(err)
	}
	fs := newFakeStorage(t)
	opts.Storage = fs
	opts.Policy = limitPolicy{testPolicy{max: 2}, config.Limits{Disk: 64 * config.MiB}}
	m, err = NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err = m.Open(context.Background(), "bob", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if out, _, _ := run(t, g, "/bin/cat", "/kept"); out != "old\n" {
		t.Errorf("file of a guest made before its disk limit = %q, want old", out)
	}
	if got := fs.takeCalls(); slices.Contains(got, "attach bob") {
		t.Errorf("storage calls = %q, want no attach", got)
	}
	err = m.SetLimits("bob", config.Limits{Disk: 128 * config.MiB})
	if err == nil || !strings.Contains(err.Error(), "reset it (vmhostd guest reset bob --yes") {
		t.Errorf("SetLimits(disk) of a guest with files in data_dir = %v, want advice to reset it", err)
	}
	if err := m.SetLimits("bob", config.Limits{Pids: 100}); err != nil {
		t.Errorf("SetLimits(pids) of a guest with files in data_dir = %v", err)
	}
	if err := m.Reset("bob"); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background(), "bob"); err != nil {
		t.Fatal(err)
	}
	if got := fs.takeCalls(); !slices.Contains(got, "attach bob") {
		t.Errorf("storage calls after reset = %q, want an attach", got)
	}
}
