package screen

import (
	"sync"

	"github.com/hinshun/vt10x"

	"vmhost/session/runes"
)

// MaxCols and MaxRows bound the emulated screen: a window larger than that
// is emulated at this size, and what lies past it is not kept. They bound
// what one session holds (two screens of cells, about 1 MiB) whatever size
// a client asks for.
const (
	MaxCols = 300
	MaxRows = 100
)

// Screen is the emulated screen of one terminal session. Its methods may be
// called from several goroutines.
type Screen struct {
	mu     sync.Mutex
	term   vt10x.Terminal
	cols   int
	rows   int
	clamp  clamp
	carry  []byte // an incomplete UTF-8 sequence that ended the last write
	buf    []byte // reused for the filtered bytes of one write
	budget *Budget
	stale  bool
}

// New returns a blank screen of cols×rows (bounded by MaxCols and MaxRows)
// whose emulation is bounded by budget (nil: unbounded, for tests and
// replays of files already bounded).
func New(cols, rows int, budget *Budget) *Screen {
	cols, rows = bound(cols, rows)
	s := &Screen{cols: cols, rows: rows, budget: budget}
	s.term = newTerm(cols, rows)
	return s
}

// newTerm returns an emulator whose answers to queries go nowhere: the
// client's own terminal answers them.
func newTerm(cols, rows int) vt10x.Terminal {
	return vt10x.New(vt10x.WithSize(cols, rows))
}

// bound brings a window size within the emulated bounds.
func bound(cols, rows int) (int, int) {
	return min(max(cols, 1), MaxCols), min(max(rows, 1), MaxRows)
}

// Write feeds output of the session to the screen. It never fails and never
// blocks on anything but the screen's own lock: output past the budget is
// not emulated and leaves the screen stale.
func (s *Screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.budget != nil && !s.budget.take(len(p)) {
		s.stale = true
		s.carry = s.carry[:0]
		return len(p), nil
	}
	s.feed(p)
	return len(p), nil
}

// feed filters p and hands the complete part to the emulator; a panic of
// the emulator resets the screen.
func (s *Screen) feed(p []byte) {
	defer func() {
		if recover() != nil {
			s.reset()
		}
	}()
	s.buf = s.clamp.filter(append(s.buf[:0], s.carry...), p)
	whole, rest := runes.Split(s.buf)
	s.carry = append(s.carry[:0], rest...)
	s.term.Write(whole)
}

// reset blanks the screen after the emulator failed; it is stale since.
func (s *Screen) reset() {
	s.term = newTerm(s.cols, s.rows)
	s.clamp = clamp{}
	s.carry = s.carry[:0]
	s.stale = true
}

// Resize follows a change of the session's window size.
func (s *Screen) Resize(cols, rows int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cols, s.rows = bound(cols, rows)
	s.term.Resize(s.cols, s.rows)
}

// Size returns the emulated size.
func (s *Screen) Size() (cols, rows int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cols, s.rows
}

// Stale reports whether output was left out of the screen (past the
// budget, or after the emulator failed), so that it may not show what the
// program drew: a client attaching should then clear its terminal and have
// the program redraw (a change of window size does for full-screen
// programs).
func (s *Screen) Stale() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stale
}

// Invalidate marks the screen stale: what it shows is not known, as for a
// session taken over from a daemon that was restarted.
func (s *Screen) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stale = true
}

// Clear blanks the screen and makes it current again, for a client that
// attaches to a stale screen and has the program redraw.
func (s *Screen) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
	s.stale = false
}

// Text returns the characters on the screen, one line per row with trailing
// blanks cut, for tests and the session list.
func (s *Screen) Text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []rune
	for y := 0; y < s.rows; y++ {
		out = append(out, s.rowText(y)...)
		out = append(out, '\n')
	}
	return string(out)
}

// rowText returns row y's characters with trailing blanks cut.
func (s *Screen) rowText(y int) []rune {
	var row []rune
	for x := 0; x < s.cols; x++ {
		c := s.term.Cell(x, y).Char
		if c == 0 {
			c = ' '
		}
		row = append(row, c)
	}
	n := len(row)
	for n > 0 && row[n-1] == ' ' {
		n--
	}
	return row[:n]
}
