package asciicast

import (
	"strings"
	"testing"
	"time"
)

func TestPlay(t *testing.T) {
	rec := `{"version": 2, "width": 80, "height": 24}
[0.5, "o", "one "]
[1.0, "i", "typed"]
[10.5, "o", "two "]
[10.75, "m", "detached"]
[11.0, "o", "three"]
`
	var out strings.Builder
	var waits []time.Duration
	err := Play(strings.NewReader(rec), &out, 2, 3*time.Second, func(d time.Duration) { waits = append(waits, d) })
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "one two three" {
		t.Errorf("played %q, want the output events only", out.String())
	}
	want := []time.Duration{250 * time.Millisecond, 3 * time.Second, 250 * time.Millisecond}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("wait %d = %v, want %v (halved by speed 2, capped at 3s)", i, waits[i], want[i])
		}
	}
	if err := Play(strings.NewReader("not a recording"), &out, 1, 0, func(time.Duration) {}); err == nil {
		t.Error("play of a file that is not asciicast = nil, want an error")
	}
}
