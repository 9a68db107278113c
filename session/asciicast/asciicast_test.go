package asciicast

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock moves by a tenth of a second at every reading.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(100 * time.Millisecond); return c.t }

func TestWriteRead(t *testing.T) {
	start := time.Unix(1700000000, 0)
	c := &clock{t: start}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Width: 80, Height: 24, Env: map[string]string{"TERM": "xterm"}}, start, c.now)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("h\xc3"))   // é split across writes
	w.Write([]byte("\xa9llo")) // completes it
	w.Input([]byte("ls\r"))
	w.Resize(100, 30)
	w.Mark("detached")
	w.Write([]byte("bad \xff byte"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	h, r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Version: 2, Width: 80, Height: 24, Timestamp: start.Unix(), Env: map[string]string{"TERM": "xterm"}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	var got []Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	wantEvents := []Event{
		{0.1, Output, "h"}, {0.2, Output, "éllo"}, {0.3, Input, "ls\r"}, {0.4, Resize, "100x30"},
		{0.5, Marker, "detached"}, {0.6, Output, "bad \uFFFD byte"},
	}
	if diff := cmp.Diff(wantEvents, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// failing fails every write after the first n bytes.
type failing struct{ n int }

func (f *failing) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("no space left on device")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorKept(t *testing.T) {
	w, err := NewWriter(&failing{n: 200}, Header{Width: 1, Height: 1}, time.Unix(0, 0), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("x"), 8192)) // past bufio's buffer: written now
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("Flush = %v, want the write error", err)
	}
	if err := w.Mark("later"); err == nil {
		t.Error("Mark after a failed write = nil, want the first error again")
	}
}

func TestReadRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"no header", ""},
		{"version 1", `{"version":1,"width":80,"height":24}`},
		{"not json", "hello"},
		{"bad event", "{\"version\":2,\"width\":80,\"height\":24}\n[1, \"o\"]"},
		{"negative time", "{\"version\":2,\"width\":80,\"height\":24}\n[-1, \"o\", \"x\"]"},
		{"line too long", "{\"version\":2,\"width\":80,\"height\":24}\n[1, \"o\", \"" + strings.Repeat("x", MaxLine) + "\"]"},
	} {
		_, r, err := NewReader(strings.NewReader(tt.in))
		if err == nil {
			_, err = r.Next()
		}
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%s: err = %v, want a parse error", tt.name, err)
		}
	}
}
