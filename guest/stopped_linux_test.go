package guest

import (
	"errors"
	"testing"
)

func TestWaitGuestStopped(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	for _, tt := range []struct {
		name     string
		initDone chan struct{}
		want     bool // ErrGuestStopped
	}{
		{"init ended", closed, true},
		{"init runs", make(chan struct{}), false},
		{"init unknown", nil, false},
	} {
		ours, theirs, err := seqpacketPair()
		if err != nil {
			t.Fatal(err)
		}
		p, err := newProcess(ours, 7, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if tt.initDone != nil {
			p.initDone = tt.initDone
		}
		theirs.Close() // the control connection ends without an exit
		st, err := p.Wait()
		if got := errors.Is(err, ErrGuestStopped); got != tt.want || err == nil || st.Code != 255 {
			t.Errorf("%s: Wait = %+v, %v; want exit 255 and ErrGuestStopped %v", tt.name, st, err, tt.want)
		}
		p.Close()
	}
}
