package guest

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", 3*initLogLine)
	br := bufio.NewReaderSize(strings.NewReader("short\n"+long+"\nlast"), initLogLine)
	var got []string
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			got = append(got, string(line))
		}
		if err != nil {
			break
		}
	}
	if len(got) != 3 || got[0] != "short" || got[2] != "last" {
		t.Fatalf("readLine lines = %q, want short, the long one cut, last", got)
	}
	if len(got[1]) > initLogLine+64 || !strings.Contains(got[1], "[cut:") {
		t.Errorf("long line = %d bytes %q..., want at most %d and a cut marker", len(got[1]), got[1][:20], initLogLine+64)
	}
}

func TestLineLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLineLimiter(func() time.Time { return now })
	for i := 0; i < initLogBurst; i++ {
		if _, ok := l.allow(); !ok {
			t.Fatalf("line %d of the burst refused", i)
		}
	}
	for i := 0; i < 7; i++ {
		if _, ok := l.allow(); ok {
			t.Fatalf("line %d past the burst allowed", i)
		}
	}
	now = now.Add(initLogRefill)
	if dropped, ok := l.allow(); !ok || dropped != 7 {
		t.Errorf("after a refill: allow() = %d, %v; want 7 dropped, true", dropped, ok)
	}
}
