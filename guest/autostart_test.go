package guest

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stoppedManager returns a manager over temporary directories that knows
// one stopped guest, alice, from its guest.json.
func stoppedManager(t *testing.T) *Manager {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "data", "guests", "alice")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	st := &State{Owner: "alice", Name: "alice", Image: "busybox", IDBase: 1 << 16, IDSize: IDSize, Created: time.Now().UTC()}
	if err := writeState(dir, st); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(Options{DataDir: filepath.Join(base, "data"), RunDir: filepath.Join(base, "run"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSetAutostart(t *testing.T) {
	m := stoppedManager(t)
	for _, tt := range []struct {
		on       *bool
		want     string // in guest.json
		wantNone bool
	}{
		{on: new(true), want: `"autostart": true`},
		{on: new(false), want: `"autostart": false`},
		{on: nil, wantNone: true},
	} {
		if err := m.SetAutostart("alice", tt.on); err != nil {
			t.Fatalf("SetAutostart(alice, %s) = %v", autostartString(tt.on), err)
		}
		data, err := os.ReadFile(filepath.Join(m.guestDir("alice"), stateFile))
		if err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(string(data), `"autostart"`); has == tt.wantNone || !strings.Contains(string(data), tt.want) {
			t.Errorf("guest.json after SetAutostart(%s) =\n%s\nwant %q", autostartString(tt.on), data, tt.want)
		}
		in, err := m.Get("alice")
		if err != nil {
			t.Fatal(err)
		}
		if autostartString(in.Autostart) != autostartString(tt.on) {
			t.Errorf("Get(alice).Autostart = %s, want %s", autostartString(in.Autostart), autostartString(tt.on))
		}
	}
	on := true
	if err := m.SetAutostart("alice", &on); err != nil {
		t.Fatal(err)
	}
	on = false // the manager keeps a copy, not the caller's variable
	if in, _ := m.Get("alice"); in.Autostart == nil || !*in.Autostart {
		t.Errorf("Autostart after the caller changed its variable = %s, want true", autostartString(in.Autostart))
	}
	if err := m.SetAutostart("nobody", nil); !errors.Is(err, ErrUnknownGuest) {
		t.Errorf("SetAutostart(nobody) = %v, want ErrUnknownGuest", err)
	}
}
