package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cluster")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	web := Assignment{Owner: "alice", Name: "web", Image: "busybox", Limits: config.Limits{CPUs: 1, Memory: 256 * config.MiB}}
	def := Assignment{Owner: "alice", Name: "alice", Image: "busybox"}
	bob := Assignment{Owner: "bob", Name: "bob", Image: "debian"}
	for _, a := range []Assignment{web, def} {
		if _, replaced, err := s.Assign(a, 2); err != nil || replaced {
			t.Fatalf("Assign(%s) = replaced %v, %v", a.ID(), replaced, err)
		}
	}
	if _, _, err := s.Assign(bob, 2); !errors.Is(err, ErrFull) {
		t.Errorf("a third guest with max 2: %v, want ErrFull", err)
	}
	web2 := web
	web2.Limits.CPUs = 2
	if old, replaced, err := s.Assign(web2, 2); err != nil || !replaced || old.Limits.CPUs != 1 {
		t.Errorf("Assign(alice+web again) = %+v, %v, %v; want the old one replaced", old, replaced, err)
	}
	if got := s.Owned("alice"); got != 2 {
		t.Errorf("Owned(alice) = %d, want 2", got)
	}
	if a, ok := s.Get("alice", "web"); !ok || a.Limits.CPUs != 2 {
		t.Errorf("Get(alice, web) = %+v, %v", a, ok)
	}
	if _, ok := s.Get("bob", "bob"); ok {
		t.Error("bob is assigned after a refused Assign")
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the file: %v, %v; want mode 0600", st, err)
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Assignment{def, web2}, again.List()); diff != "" {
		t.Errorf("reopened List() (-want +got):\n%s", diff)
	}
	if _, err := again.Unassign("alice", "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Unassign("alice", "web"); !errors.Is(err, ErrNotAssigned) {
		t.Errorf("Unassign twice: %v, want ErrNotAssigned", err)
	}
	if got := again.Owned("alice"); got != 1 {
		t.Errorf("Owned(alice) after unassign = %d, want 1", got)
	}
	third, err := Open(dir)
	if err != nil || len(third.List()) != 1 {
		t.Errorf("reopened after unassign: %v, %v", third.List(), err)
	}
}

func TestStoreRefuses(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Assignment{
		{Owner: "Alice", Name: "alice"},
		{Owner: "alice", Name: "-web"},
		{Owner: "alice", Name: ""},
		{Owner: "../x", Name: "x"},
		{Owner: "alice+web", Name: "web"},
	} {
		if _, _, err := s.Assign(a, 10); err == nil {
			t.Errorf("Assign(%+v) took it", a)
		}
	}
	if len(s.List()) != 0 {
		t.Errorf("List() = %v after refusals", s.List())
	}
}

func TestOpenBadFile(t *testing.T) {
	tests := []struct{ data, want string }{
		{"{", "reading"},
		{`{"version": 2, "guests": []}`, "version 2 is not 1"},
		{`{"version": 1, "guests": [{"owner": "Bad", "name": "x"}]}`, `guest 1: owner "Bad" is not a valid user name`},
		{`{"version": 1, "guests": [{"owner": "a", "name": "a"}, {"owner": "a", "name": "a"}]}`, "guest 2: a is listed twice"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tt.data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open with %s = %v, want an error with %q", tt.data, err, tt.want)
		}
	}
}

func TestAssignmentCheck(t *testing.T) {
	cfg := &config.Config{Images: map[string]config.Image{"busybox": {}, "debian": {}}}
	h := config.Host{MemTotal: int64(8 * config.GiB), CPUs: 4}
	tests := []struct {
		a    Assignment
		want string
	}{
		{Assignment{Owner: "alice", Name: "web", Image: "debian", Limits: config.Limits{CPUs: 2, Memory: config.GiB, Pids: 100, Disk: config.GiB}}, ""},
		{Assignment{Owner: "alice", Name: "web", Image: "arch"}, `image "arch" is not defined on this node; use one of busybox, debian`},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Limits: config.Limits{CPUs: 64}}, "limits: cpus"},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Limits: config.Limits{Memory: 64 * config.GiB}}, "limits: memory"},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Limits: config.Limits{Pids: -1}}, "limits: pids"},
		{Assignment{Owner: "ALICE", Name: "web", Image: "busybox"}, `owner "ALICE" is not a valid user name`},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Volume: "/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount"}, ""},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Volume: "relative/dir"}, "not a clean absolute path"},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Volume: "/srv/../etc"}, "not a clean absolute path"},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Volume: "/"}, "not a clean absolute path"},
		{Assignment{Owner: "alice", Name: "web", Image: "busybox", Volume: "/" + strings.Repeat("a", 2000)}, "longer than"},
	}
	for _, tt := range tests {
		err := tt.a.Check(cfg, h)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Check(%+v) = %v, want %q", tt.a, err, tt.want)
		}
	}
}

func TestPolicy(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Assign(Assignment{Owner: "alice", Name: "web", Image: "debian", Limits: config.Limits{CPUs: 2}, Volume: "/srv/vol"}, 10); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Defaults: config.Defaults{Image: "busybox", MaxGuests: 3, Limits: config.Limits{Memory: 512 * config.MiB, CPUs: 1}},
		Users:    map[string]config.User{"carol": {}},
		Cluster:  config.Cluster{Listen: "127.0.0.1:7443", MaxGuests: 50},
	}
	p := NewPolicy(cfg, s)
	if got := p.GuestImage("alice", "web"); got != "debian" {
		t.Errorf("GuestImage(alice, web) = %q, want the assignment's", got)
	}
	if got := p.GuestImage("alice", "other"); got != "busybox" {
		t.Errorf("GuestImage(alice, other) = %q, want the default", got)
	}
	if got, want := p.GuestLimits("alice", "web"), (config.Limits{Memory: 512 * config.MiB, CPUs: 2}); got != want {
		t.Errorf("GuestLimits(alice, web) = %+v, want %+v", got, want)
	}
	if got := p.GuestVolume("alice", "web"); got != "/srv/vol" {
		t.Errorf("GuestVolume(alice, web) = %q, want the assignment's", got)
	}
	if got := p.GuestVolume("alice", "other"); got != "" {
		t.Errorf("GuestVolume(alice, other) = %q, want none", got)
	}
	if got := p.MaxGuestsFor("alice"); got != 50 {
		t.Errorf("MaxGuestsFor(alice) = %d, want cluster.max_guests", got)
	}
	if got := p.MaxGuestsFor("carol"); got != 3 {
		t.Errorf("MaxGuestsFor(carol) = %d, want her max_guests", got)
	}
}
