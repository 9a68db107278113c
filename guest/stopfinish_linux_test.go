package guest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// markOnDisk sets Stopping in the guest.json of id, as a daemon killed in
// the middle of a stop leaves it.
func markOnDisk(t *testing.T, opts Options, id string) {
	t.Helper()
	dir := filepath.Join(opts.DataDir, "guests", id)
	st, err := readState(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Stopping = true
	if err := writeState(dir, st); err != nil {
		t.Fatal(err)
	}
}

// TestManagerFinishesInterruptedStop checks that a daemon that finds a
// guest stopping at start finishes its stop: with its init still running
// (killed after the signal) or gone (killed after the init ended).
func TestManagerFinishesInterruptedStop(t *testing.T) {
	for _, tt := range []struct {
		name     string
		initDied bool
	}{
		{"init still running", false},
		{"init ended", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts, l, nw := fakeOptions(t)
			if err := os.MkdirAll(opts.Images.(testImage).rootfs, 0o755); err != nil {
				t.Fatal(err)
			}
			m := fakeManager(t, opts)
			if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
				t.Fatal(err)
			}
			pid := m.List()[0].InitPid
			markOnDisk(t, opts, "alice")
			if tt.initDied {
				l.crash(pid)
			}
			m2 := fakeManager(t, opts)
			// A lifecycle call waits for the stop that the start began.
			if _, err := m2.Stats("alice"); err != nil {
				t.Fatal(err)
			}
			got := m2.List()[0]
			if got.Running || got.InitPid != 0 || got.Stopping || l.count() != 0 {
				t.Errorf("after the restart: %+v, %d inits; want alice stopped", got, l.count())
			}
			if _, ok := nw.addr("alice"); ok {
				t.Errorf("after the restart alice is still attached to the network")
			}
			onDisk, err := readState(filepath.Join(opts.DataDir, "guests", "alice"))
			if err != nil || onDisk.InitPid != 0 || onDisk.Stopping || onDisk.IP != got.IP {
				t.Errorf("guest.json after the restart: %+v, %v; want stopped, its address %v kept", onDisk, err, got.IP)
			}
			if _, err := m2.Open(context.Background(), "alice", "alice"); err != nil || l.count() != 1 {
				t.Errorf("a login after the finished stop: %v, %d inits; want the guest started again", err, l.count())
			}
		})
	}
}

// TestManagerStopMarksStopping checks that a stop writes down that the
// guest is stopping before it signals the init, and clears it once done.
func TestManagerStopMarksStopping(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	m := fakeManager(t, opts)
	if _, err := m.Open(context.Background(), "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(opts.DataDir, "guests", "alice")
	l.beforeStop = func() {
		if st, err := readState(dir); err != nil || !st.Stopping {
			t.Errorf("guest.json when the init is signalled: %+v, %v; want it stopping", st, err)
		}
	}
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
	if st, err := readState(dir); err != nil || st.Stopping || st.InitPid != 0 {
		t.Errorf("guest.json after the stop: %+v, %v; want it stopped", st, err)
	}
}
