package poll

import (
	"errors"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	errCheck := errors.New("no such cgroup")
	tests := []struct {
		name      string
		timeout   time.Duration
		doneAt    int // the call that reports done; 0 never
		failAt    int // the call that fails; 0 never
		want      error
		wantCalls int // 0: at least 2
	}{
		{"done at once", time.Second, 1, 0, nil, 1},
		{"done on the fifth call", time.Second, 5, 0, nil, 5},
		{"fails on the third call", time.Second, 0, 3, errCheck, 3},
		{"never done", 30 * time.Millisecond, 0, 0, ErrTimeout, 0},
		{"no time at all: checked once", 0, 0, 0, ErrTimeout, 1},
	}
	for _, tt := range tests {
		calls := 0
		start := time.Now()
		err := Until(tt.timeout, 5*time.Millisecond, func() (bool, error) {
			calls++
			if calls == tt.failAt {
				return false, errCheck
			}
			return calls == tt.doneAt, nil
		})
		took := time.Since(start)
		if !errors.Is(err, tt.want) || err != nil && tt.want == nil {
			t.Errorf("%s: Until = %v, want %v", tt.name, err, tt.want)
		}
		if (tt.wantCalls != 0 && calls != tt.wantCalls) || (tt.wantCalls == 0 && calls < 2) {
			t.Errorf("%s: %d calls, want %d (0: at least 2)", tt.name, calls, tt.wantCalls)
		}
		if tt.want == ErrTimeout && took < tt.timeout {
			t.Errorf("%s: gave up after %v, before its timeout %v", tt.name, took, tt.timeout)
		}
	}
}
