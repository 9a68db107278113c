package procstat

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache[int](time.Second, func() time.Time { return now })
	made := 0
	mk := func() (int, error) { made++; return made, nil }
	for _, tt := range []struct {
		name    string
		advance time.Duration
		key     string
		want    int
	}{
		{"first", 0, "a", 1},
		{"within ttl", 500 * time.Millisecond, "a", 1},
		{"other key", 0, "b", 2},
		{"expired", 600 * time.Millisecond, "a", 3},
	} {
		now = now.Add(tt.advance)
		if got, _ := c.get(tt.key, mk); got != tt.want {
			t.Errorf("get(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
	if _, err := c.get("c", func() (int, error) { return 0, errors.New("no") }); err == nil {
		t.Errorf("get with a failing maker: no error")
	}
	if _, ok := c.m["c"]; ok {
		t.Errorf("a failed make was kept")
	}
}

func TestCacheSweep(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache[int](time.Second, func() time.Time { return now })
	for i := 0; i < 10*sweepAbove; i++ {
		now = now.Add(100 * time.Millisecond)
		c.get(strconv.Itoa(i), func() (int, error) { return i, nil })
	}
	if n := c.size(); n > sweepAbove+1 {
		t.Errorf("cache of %d keys made 100ms apart with a 1s ttl keeps %d, want at most %d", 10*sweepAbove, n, sweepAbove+1)
	}
}
