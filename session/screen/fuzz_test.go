package screen

import "testing"

// FuzzScreen feeds any output at any size: no panic leaves Write, and the
// repaint of the result draws on a fresh screen.
func FuzzScreen(f *testing.F) {
	f.Add([]byte("\x1b[31mhi\x1b[0m\r\n\x1b[?1049h\x1b[10;10H\x1b[2J"), uint16(80), uint16(24))
	f.Add([]byte("\x1b[999;999r\x1b[5L\x1b[3M\x1b]0;title\x07\x1bP1$q\x1b\\\x1b[9223372036854775807@"), uint16(1), uint16(1))
	f.Add([]byte("\x1b(0lqqk\x1b(B\x1b[4h\x1b[?6h\x1b[2;3r\x1b[20B\x1b[?47h\x1b7\x1b8\x1bM\x1bD"), uint16(5), uint16(3))
	f.Fuzz(func(t *testing.T, out []byte, cols, rows uint16) {
		s := New(int(cols%400), int(rows%150), nil)
		s.Write(out)
		s.Resize(int(rows%50), int(cols%30))
		s.Write(out)
		if s.Stale() {
			t.Logf("the emulator panicked on %q; the screen was reset", out)
		}
		c, r := s.Size()
		fresh := New(c, r, nil)
		fresh.Write(s.Repaint(""))
		if fresh.Stale() {
			t.Errorf("the emulator panicked on a repaint: %q", s.Repaint(""))
		}
	})
}
