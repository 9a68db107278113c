package guest

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"vmhost/config"
)

// listedCgroups is a Cgroups and CgroupLister over a map of guest ids to
// the pids their cgroup holds; it records the ids it deletes.
type listedCgroups struct {
	groups  map[string][]int
	deleted []string
}

func (l *listedCgroups) Create(id string, _ config.Limits) (Cgroup, error) {
	l.groups[id] = nil
	return listedCgroup{l, id}, nil
}

func (l *listedCgroups) Open(id string) (Cgroup, error) { return listedCgroup{l, id}, nil }

func (l *listedCgroups) List() ([]string, error) {
	var ids []string
	for id := range l.groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// listedCgroup is one cgroup of a listedCgroups.
type listedCgroup struct {
	l  *listedCgroups
	id string
}

func (c listedCgroup) Start(*exec.Cmd) error      { return nil }
func (c listedCgroup) Update(config.Limits) error { return nil }
func (c listedCgroup) Stats() (Stats, error)      { return Stats{}, nil }
func (c listedCgroup) Procs() ([]int, error)      { return c.l.groups[c.id], nil }
func (c listedCgroup) Delete() error {
	if _, ok := c.l.groups[c.id]; ok {
		delete(c.l.groups, c.id)
		c.l.deleted = append(c.l.deleted, c.id)
	}
	return nil
}

// testGuests lays out data and run directories under base with a stopped
// guest for each id, recorded as made from the build /builds/1.
func testGuests(t *testing.T, base string, ids ...string) {
	t.Helper()
	for i, id := range ids {
		dir := filepath.Join(base, "data", "guests", id)
		mkdirs(t, dir)
		st := &State{Owner: id, Name: id, Image: "busybox", Rootfs: "/builds/1", IDBase: uint32(i+1) << 16, IDSize: IDSize, Created: time.Now().UTC()}
		if err := writeState(dir, st); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func touch(t *testing.T, files ...string) {
	t.Helper()
	for _, f := range files {
		mkdirs(t, filepath.Dir(f))
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// loadManager makes a manager over base, as a daemon starting there does.
func loadManager(t *testing.T, base string, cg Cgroups) *Manager {
	t.Helper()
	m, err := NewManager(Options{DataDir: filepath.Join(base, "data"), RunDir: filepath.Join(base, "run"), Cgroups: cg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSweepAtStart(t *testing.T) {
	base := t.TempDir()
	testGuests(t, base, "alice", "bob", "carol")
	data, run := filepath.Join(base, "data", "guests"), filepath.Join(base, "run", "guests")
	touch(t,
		filepath.Join(data, "alice", ".guest.json.tmp-12345"),
		filepath.Join(data, "alice", "upper", "root", ".guest.json.tmp-1"), // the guest's own file
		filepath.Join(run, "alice", controlSock),
		filepath.Join(run, "carol", controlSock),
		filepath.Join(run, "carol", "rootfs", "held"), // not an empty mount point: kept
	)
	mkdirs(t, filepath.Join(run, "alice", "rootfs"), filepath.Join(run, "bob", "rootfs"), filepath.Join(run, "gone", "rootfs"))
	cg := &listedCgroups{groups: map[string][]int{
		"alice": nil,           // stopped: removed
		"bob":   {os.Getpid()}, // an init the daemon lost track of: kept, with its socket
		"dave":  nil,           // no such guest: removed
		"erin":  {os.Getpid()}, // no such guest, but processes: kept
	}}
	touch(t, filepath.Join(run, "bob", controlSock))
	loadManager(t, base, cg)

	for path, want := range map[string]bool{
		filepath.Join(data, "alice", ".guest.json.tmp-12345"):              false,
		filepath.Join(data, "alice", "guest.json"):                         true,
		filepath.Join(data, "alice", "upper", "root", ".guest.json.tmp-1"): true,
		filepath.Join(run, "alice"):                                        false,
		filepath.Join(run, "bob", controlSock):                             true,
		filepath.Join(run, "carol", controlSock):                           false,
		filepath.Join(run, "carol", "rootfs", "held"):                      true,
		filepath.Join(run, "gone"):                                         false,
	} {
		if exists(path) != want {
			t.Errorf("after the start, %s exists: %v, want %v", path, !want, want)
		}
	}
	slices.Sort(cg.deleted)
	if want := []string{"alice", "dave"}; !slices.Equal(cg.deleted, want) {
		t.Errorf("cgroups deleted at start = %q, want %q", cg.deleted, want)
	}
}
