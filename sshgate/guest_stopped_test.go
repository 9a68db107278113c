package sshgate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"vmhost/config"
	"vmhost/guest"
)

// stoppingGuests is a fakeGuests whose processes end as when their guest
// stops under them: Wait returns guest.ErrGuestStopped.
type stoppingGuests struct{ *fakeGuests }

func (s stoppingGuests) Open(ctx context.Context, owner, name string) (Guest, error) {
	g, err := s.fakeGuests.Open(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	return stoppingGuest{g}, nil
}

// stoppingGuest is a guest of stoppingGuests.
type stoppingGuest struct{ Guest }

func (g stoppingGuest) Spawn(ctx context.Context, req guest.SpawnRequest) (guest.Process, error) {
	p, err := g.Guest.Spawn(ctx, req)
	if err != nil {
		return nil, err
	}
	return stoppedProcess{p}, nil
}

// stoppedProcess is a process whose guest stopped when it ended.
type stoppedProcess struct{ guest.Process }

func (p stoppedProcess) Wait() (guest.ExitStatus, error) {
	p.Process.Wait()
	return guest.ExitStatus{Code: 255}, fmt.Errorf("waiting for process 7: %w", guest.ErrGuestStopped)
}

func TestGuestStoppedMessage(t *testing.T) {
	requireSSH(t)
	key := newUserKey(t, "alice")
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{key.pub}}}, func(o *Options) {
		o.Guests = stoppingGuests{o.Guests.(*fakeGuests)}
	})
	for _, tt := range []struct {
		name string
		opts []string
	}{
		{"pipes", nil},
		{"terminal", []string{"-tt"}},
	} {
		res := ts.run(t, sshCmd{key: key, login: "alice", opts: tt.opts, args: []string{"echo before"}})
		out := res.stdout + res.stderr
		if res.code != 255 || !strings.Contains(out, "before") ||
			!strings.Contains(res.stderr, "vmhost: the guest stopped (its init ended), and this session with it; log in again to start it") {
			t.Errorf("%s: ssh alice 'echo before' whose guest stopped = %+v; want exit 255, its output, and the message on stderr", tt.name, res)
		}
	}
}
