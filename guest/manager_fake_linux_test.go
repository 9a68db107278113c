package guest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeOptions are a Manager's options with a fake launcher, a fake network
// and fake cgroups: its bookkeeping runs without root.
func fakeOptions(t *testing.T) (Options, *fakeLauncher, *fakeNetwork) {
	t.Helper()
	base := t.TempDir()
	l, nw := newFakeLauncher(), newFakeNetwork("10.99.0.0/24")
	return Options{
		DataDir: filepath.Join(base, "data"), RunDir: filepath.Join(base, "run"),
		Images: testImage{filepath.Join(base, "image")}, Policy: testPolicy{max: 2},
		Network: nw, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		StopGrace: time.Second, launcher: l,
	}, l, nw
}

// fakeManager returns a Manager on fakeOptions.
func fakeManager(t *testing.T, opts Options) *Manager {
	t.Helper()
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestManagerQuotaAndAddresses(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	m := fakeManager(t, opts)
	ctx := context.Background()
	for _, name := range []string{"alice", "web"} {
		if _, err := m.Open(ctx, "alice", name); err != nil {
			t.Fatalf("Open(alice, %s) = %v", name, err)
		}
	}
	_, err := m.Open(ctx, "alice", "third")
	if err == nil || !strings.Contains(err.Error(), "max_guests") {
		t.Errorf("a third guest past max_guests 2: %v, want a refusal naming max_guests", err)
	}
	seen := map[string]string{}
	for _, in := range m.List() {
		if !in.IP.IsValid() || !in.Running {
			t.Errorf("guest %s: address %v, running %v; want both", in.ID(), in.IP, in.Running)
		}
		if other, dup := seen[in.IP.String()]; dup {
			t.Errorf("guests %s and %s share %s", other, in.ID(), in.IP)
		}
		seen[in.IP.String()] = in.ID()
	}
	for i, st := range l.onDisk {
		if !strings.Contains(st, `"ip": "10.99.0.`) {
			t.Errorf("start %d: guest.json had no address before the init started:\n%s", i, st)
		}
	}
}

func TestManagerReattachAfterRestart(t *testing.T) {
	opts, l, nw := fakeOptions(t)
	m := fakeManager(t, opts)
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	before := m.List()[0]
	m2 := fakeManager(t, opts)
	after := m2.List()[0]
	if !after.Running || after.InitPid != before.InitPid || after.IP != before.IP {
		t.Errorf("after a restart: running %v, pid %d, address %v; want %d at %v", after.Running, after.InitPid, after.IP, before.InitPid, before.IP)
	}
	if _, err := m2.Open(context.Background(), "alice", "alice"); err != nil || l.starts != 1 {
		t.Errorf("a login after the restart: %v, %d starts; want the running init, 1 start", err, l.starts)
	}
	if nw.attached["alice"] != before.IP {
		t.Errorf("after the restart the network has alice at %v, want %v", nw.attached["alice"], before.IP)
	}
	l.crash(before.InitPid)
	m3 := fakeManager(t, opts)
	if got := m3.List()[0]; got.Running || got.InitPid != 0 || got.IP != before.IP {
		t.Errorf("after its init died: running %v, pid %d, address %v; want stopped, its address kept", got.Running, got.InitPid, got.IP)
	}
}

func TestManagerFailedStartLeavesNothing(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	m := fakeManager(t, opts)
	l.failing = errors.New("no such image build")
	if _, err := m.Open(context.Background(), "alice", "alice"); err == nil {
		t.Fatal("Open with the init failing to start = nil error, want one")
	}
	if len(m.List()) != 0 || l.count() != 0 {
		t.Errorf("after a failed first start: %d guests listed, %d inits; want none", len(m.List()), l.count())
	}
	if dirs, _ := os.ReadDir(filepath.Join(opts.DataDir, "guests")); len(dirs) != 0 {
		t.Errorf("after a failed first start, guests/ holds %v", dirs)
	}
	l.failing = nil
	recordStart = func(string, *State) error { return errors.New("no space left on device") }
	defer func() { recordStart = writeState }()
	if _, err := m.Open(context.Background(), "alice", "alice"); err == nil || l.count() != 0 {
		t.Errorf("a start that cannot be recorded: %v, %d inits left; want an error and none", err, l.count())
	}
}

func TestManagerStopResetRemove(t *testing.T) {
	opts, l, nw := fakeOptions(t)
	m := fakeManager(t, opts)
	ctx := context.Background()
	if _, err := m.Open(ctx, "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	upper := filepath.Join(opts.DataDir, "guests", "alice", upperDir)
	os.MkdirAll(upper, 0o755) // the real launcher makes it
	if err := os.WriteFile(filepath.Join(upper, "mine"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ip := m.List()[0].IP
	if err := m.Stop("alice"); err != nil || l.count() != 0 || m.List()[0].Running {
		t.Fatalf("Stop: %v, %d inits, listed %+v", err, l.count(), m.List()[0])
	}
	if err := m.Reset("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(upper, "mine")); !os.IsNotExist(err) {
		t.Errorf("after Reset the guest's own file is %v, want gone", err)
	}
	if got := m.List()[0]; got.IP != ip || got.Rootfs != "" {
		t.Errorf("after Reset: address %v, rootfs %q; want %v kept, the image's current build next", got.IP, got.Rootfs, ip)
	}
	if _, err := m.Open(ctx, "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if len(m.List()) != 0 || l.count() != 0 || nw.attached["alice"].IsValid() {
		t.Errorf("after Remove: %d listed, %d inits, network %v", len(m.List()), l.count(), nw.attached)
	}
	if _, err := os.Stat(filepath.Join(opts.DataDir, "guests", "alice")); !os.IsNotExist(err) {
		t.Errorf("after Remove the guest's directory is %v, want gone", err)
	}
	if _, err := m.Open(ctx, "bob", "bob"); err != nil || m.List()[0].IP != ip {
		t.Errorf("the next guest after a Remove: %v, address %v; want the freed %v", err, m.List()[0].IP, ip)
	}
}

func TestManagerRepairsLeftovers(t *testing.T) {
	opts, _, _ := fakeOptions(t)
	fakeManager(t, opts)
	for _, d := range []string{".creating-alice-123", ".removing-bob-456"} {
		if err := os.MkdirAll(filepath.Join(opts.DataDir, "guests", d, "upper"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fakeManager(t, opts)
	if dirs, _ := os.ReadDir(filepath.Join(opts.DataDir, "guests")); len(dirs) != 0 {
		t.Errorf("after a restart, guests/ holds %v; want the leftovers gone", dirs)
	}
}
