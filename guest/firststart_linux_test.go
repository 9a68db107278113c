package guest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

func TestFirstStart(t *testing.T) {
	opts, _, _ := fakeOptions(t)
	if err := os.MkdirAll(opts.Images.(testImage).rootfs, 0o755); err != nil { // a start checks its build is there
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []string
	release := make(chan struct{})
	opts.FirstStart = func(_ context.Context, owner, name string, g Running) {
		mu.Lock()
		calls = append(calls, GuestID(owner, name))
		mu.Unlock()
		if g == nil {
			t.Error("FirstStart got no running guest")
		}
		<-release
	}
	m := fakeManager(t, opts)
	ctx := context.Background()
	opened := make(chan error, 2)
	go func() { _, err := m.Open(ctx, "alice", "alice"); opened <- err }()
	time.Sleep(100 * time.Millisecond)
	go func() { _, err := m.Open(ctx, "alice", "alice"); opened <- err }()
	select {
	case err := <-opened:
		t.Fatalf("an Open returned (%v) while the first start's hook ran", err)
	case <-time.After(200 * time.Millisecond):
	}
	if in, _ := m.Get("alice"); in.Status != StatusStarting {
		t.Errorf("status during the hook: %s, want %s", in.Status, StatusStarting)
	}
	close(release)
	for range 2 {
		if err := <-opened; err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		what string
		do   func() error
		want int
	}{
		{"a stop and a start", func() error { m.Stop("alice"); return m.Start(ctx, "alice") }, 1},
		{"a restart", func() error { return m.Restart(ctx, "alice") }, 1},
		{"a reset and a start", func() error { m.Reset("alice"); return m.Start(ctx, "alice") }, 2},
		{"an open of the running guest", func() error { _, err := m.Open(ctx, "alice", "alice"); return err }, 2},
		{"a new guest", func() error { _, err := m.Open(ctx, "alice", "web"); return err }, 3},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		if n != s.want {
			t.Errorf("after %s: FirstStart called %d times (%v), want %d", s.what, n, calls, s.want)
		}
	}
}
