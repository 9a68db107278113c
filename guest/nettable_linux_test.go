package guest

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// selfInit is an initHandle for the test process itself, alive for the
// first lives calls to alive.
type selfInit struct{ lives int }

func (p *selfInit) pid() int                 { return os.Getpid() }
func (p *selfInit) startTime() uint64        { return 1 }
func (p *selfInit) exited() <-chan struct{}  { return nil }
func (p *selfInit) stop(time.Duration) error { return nil }
func (p *selfInit) kill() error              { return nil }
func (p *selfInit) nsPath(ns string) string  { return "/proc/self/ns/" + ns }
func (p *selfInit) release()                 {}
func (p *selfInit) alive() bool {
	p.lives--
	return p.lives >= 0
}

func TestOpenNetTable(t *testing.T) {
	tests := []struct {
		name, id, table string
		proc            initHandle
		want            error // nil: the table opens
		wantText        string
	}{
		{"udp", "alice", "udp", &selfInit{lives: 2}, nil, "local_address"},
		{"udp6", "alice", "udp6", &selfInit{lives: 2}, nil, "local_address"},
		{"another table", "alice", "tcp", &selfInit{lives: 2}, errors.New("not a table"), ""},
		{"a path", "alice", "../environ", &selfInit{lives: 2}, errors.New("not a table"), ""},
		{"unknown guest", "bob", "udp", &selfInit{lives: 2}, ErrUnknownGuest, ""},
		{"stopped", "alice", "udp", nil, ErrGuestStopped, ""},
		{"ended", "alice", "udp", &selfInit{lives: 0}, ErrGuestStopped, ""},
		{"ended during the open", "alice", "udp", &selfInit{lives: 1}, ErrGuestStopped, ""},
	}
	for _, tt := range tests {
		e := newEntry(State{Owner: "alice", Name: "alice"})
		e.shownProc = tt.proc
		m := &Manager{guests: map[string]*entry{"alice": e}}
		f, err := m.OpenNetTable(tt.id, tt.table)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s: OpenNetTable(%q, %q) = %v, want the table", tt.name, tt.id, tt.table, err)
		case tt.want != nil && err == nil:
			f.Close()
			t.Errorf("%s: OpenNetTable(%q, %q) opened it, want %v", tt.name, tt.id, tt.table, tt.want)
		case tt.want != nil && !errors.Is(err, tt.want) && !strings.Contains(err.Error(), tt.want.Error()):
			t.Errorf("%s: OpenNetTable(%q, %q) = %v, want %v", tt.name, tt.id, tt.table, err, tt.want)
		case err == nil:
			b, _ := io.ReadAll(io.LimitReader(f, 4096))
			f.Close()
			if !strings.Contains(string(b), tt.wantText) {
				t.Errorf("%s: the table reads %q, want %q in it", tt.name, b, tt.wantText)
			}
		}
	}
}
