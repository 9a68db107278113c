package screen

import (
	"strings"
	"testing"
	"time"

	"github.com/hinshun/vt10x"
)

// lines returns the first n lines of s's text.
func lines(s *Screen, n int) []string {
	return strings.SplitN(s.Text(), "\n", n+1)[:n]
}

func TestWriteShowsText(t *testing.T) {
	s := New(20, 4, nil)
	s.Write([]byte("$ echo hi\r\nhi\r\n$ "))
	if got, want := lines(s, 3), []string{"$ echo hi", "hi", "$"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("screen = %q, want %q", got, want)
	}
}

func TestWriteCarriesSplitRunes(t *testing.T) {
	s := New(20, 2, nil)
	for _, b := range []byte("héllo ✓") {
		s.Write([]byte{b})
	}
	if got := lines(s, 1)[0]; got != "héllo ✓" {
		t.Errorf("byte by byte: %q, want %q", got, "héllo ✓")
	}
}

// TestHostileParams: numbers that make the emulator loop for ever or index
// out of its rows are bounded, and the screen still works after them.
func TestHostileParams(t *testing.T) {
	s := New(80, 24, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, seq := range []string{
			"\x1b[9223372036854775807I", "\x1b[9223372036854775807Z",
			"\x1b[9223372036854775807@", "\x1b[9223372036854775807P",
			"\x1b[9223372036854775807L", "\x1b[9223372036854775807M",
			"\x1b[9223372036854775807;9223372036854775807H",
			"\x1b[-5;-5H", "\x1b[0;0r", "\x1b[50;2r", "\x1b[9999S", "\x1b[9999T",
		} {
			s.Write([]byte(seq))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the screen is still busy with hostile parameters after 10 s")
	}
	s.Write([]byte("\x1b[H\x1b[2Jok"))
	if got := lines(s, 1)[0]; got != "ok" {
		t.Errorf("after hostile parameters: %q, want %q", got, "ok")
	}
}

func TestSizeBounded(t *testing.T) {
	s := New(100000, 100000, nil)
	if c, r := s.Size(); c != MaxCols || r != MaxRows {
		t.Errorf("New(100000, 100000) size = %dx%d, want %dx%d", c, r, MaxCols, MaxRows)
	}
	s.Resize(0, -3)
	if c, r := s.Size(); c != 1 || r != 1 {
		t.Errorf("Resize(0, -3) size = %dx%d, want 1x1", c, r)
	}
}

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestBudget(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	s := New(20, 2, NewBudget(10, 10, clock.now))
	s.Write([]byte("12345678"))
	if s.Stale() {
		t.Fatal("stale within the budget")
	}
	s.Write([]byte("abcdefgh"))
	if !s.Stale() {
		t.Fatal("not stale past the budget")
	}
	if got := lines(s, 1)[0]; got != "12345678" {
		t.Errorf("screen = %q, want only what was within the budget", got)
	}
	clock.t = clock.t.Add(time.Second)
	s.Clear()
	s.Write([]byte("again"))
	if s.Stale() || lines(s, 1)[0] != "again" {
		t.Errorf("after a second and Clear: stale %v, screen %q; want fresh, %q", s.Stale(), lines(s, 1)[0], "again")
	}
}

// TestRepaint draws a screen's repaint on a fresh screen: the two show the
// same cells, cursor and modes.
func TestRepaint(t *testing.T) {
	for _, tt := range []struct{ name, out string }{
		{"shell", "$ ls\r\n\x1b[1;34mdir\x1b[0m  \x1b[32mfile\x1b[0m\r\n$ "},
		{"colours", "\x1b[38;5;200mx\x1b[48;2;10;20;30my\x1b[7mz\x1b[0m \x1b[4;3;5mu\x1b[0m\x1b[91mbright"},
		{"full screen", "\x1b[?1049h\x1b[?1h\x1b=\x1b[H\x1b[2J\x1b[1;1Htop - 10:00\x1b[5;3H\x1b[7mPID USER\x1b[m\x1b[?25l\x1b[?1000h\x1b[?1006h\x1b[3;4H"},
		{"pen kept", "abc\x1b[31;1m"},
		{"last cell", "\x1b[6;20HZ"},
	} {
		a := New(20, 6, nil)
		a.Write([]byte(tt.out))
		b := New(20, 6, nil)
		b.Write(a.Repaint(""))
		if a.Text() != b.Text() {
			t.Errorf("%s: repainted text\n%q\nwant\n%q", tt.name, b.Text(), a.Text())
		}
		compareState(t, tt.name, a, b)
	}
}

// compareState compares every cell, the cursor and the modes of a and b.
func compareState(t *testing.T, name string, a, b *Screen) {
	t.Helper()
	for y := 0; y < a.rows; y++ {
		for x := 0; x < a.cols; x++ {
			ga, gb := a.term.Cell(x, y), b.term.Cell(x, y)
			if shows(ga) != shows(gb) || (shows(ga) && !sameLook(ga, gb)) {
				t.Errorf("%s: cell %d,%d = %+v, want %+v", name, x, y, gb, ga)
				return
			}
		}
	}
	ca, cb := a.term.Cursor(), b.term.Cursor()
	if ca.X != cb.X || ca.Y != cb.Y || !sameLook(ca.Attr, cb.Attr) {
		t.Errorf("%s: cursor %+v, want %+v", name, cb, ca)
	}
	const kept = vt10x.ModeAltScreen | vt10x.ModeAppCursor | vt10x.ModeAppKeypad | vt10x.ModeHide | vt10x.ModeMouseMask | vt10x.ModeMouseSgr
	if ma, mb := a.term.Mode()&kept, b.term.Mode()&kept; ma != mb {
		t.Errorf("%s: modes %b, want %b", name, mb, ma)
	}
}

// sameLook compares what a repaint carries of a glyph.
func sameLook(a, b vt10x.Glyph) bool {
	const m = attrReverse | attrUnderline | attrBold | attrItalic | attrBlink
	return printable(a.Char) == printable(b.Char) && a.FG == b.FG && a.BG == b.BG && a.Mode&m == b.Mode&m
}

// BenchmarkWrite measures how fast the screen takes a shell's coloured
// output, to size the budget.
func BenchmarkWrite(b *testing.B) {
	s := New(120, 40, nil)
	chunk := []byte(strings.Repeat("\x1b[1;34mdir\x1b[0m  \x1b[32mfile.txt\x1b[0m  plain text here\r\n", 64))
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		s.Write(chunk)
	}
}

// TestRepaintNotice: on a terminal showing anything, with the cursor
// anywhere, the notice ends on the first line and a shell's rows below it,
// the first row scrolled off; a program on the alternate screen gets its
// screen, and the notice is on the main screen it returns to.
func TestRepaintNotice(t *testing.T) {
	const notice = "vmhost: reattached"
	a := New(20, 4, nil)
	a.Write([]byte("one\r\ntwo\r\nthree\r\n$ x"))
	for _, before := range []string{"", "junk\r\n", "junk\r\n\r\n\r\n\r\n\r\n\r\nmore junk here"} {
		b := New(20, 4, nil)
		b.Write([]byte(before))
		b.Write(a.Repaint(notice))
		if got, want := b.Text(), notice+"\ntwo\nthree\n$ x\n"; got != want {
			t.Errorf("after %q: screen %q, want %q", before, got, want)
		}
		if ca, cb := a.term.Cursor(), b.term.Cursor(); ca.X != cb.X || ca.Y != cb.Y {
			t.Errorf("after %q: cursor %d,%d, want %d,%d", before, cb.X, cb.Y, ca.X, ca.Y)
		}
	}
	full := New(20, 4, nil)
	full.Write([]byte("\x1b[?1049h\x1b[2;3Hvi"))
	b := New(20, 4, nil)
	b.Write(full.Repaint(notice))
	if got, want := b.Text(), "\n  vi\n\n\n"; got != want {
		t.Errorf("alternate screen: %q, want %q", got, want)
	}
	b.Write([]byte("\x1b[?1049l"))
	if got := lines(b, 1)[0]; got != notice {
		t.Errorf("main screen after the program: %q, want the notice", got)
	}
}
