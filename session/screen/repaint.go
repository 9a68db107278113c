package screen

import (
	"strconv"
	"strings"

	"github.com/hinshun/vt10x"
)

// Bits of vt10x.Glyph.Mode (unexported there; their values are its
// attrReverse, attrUnderline, attrBold, attrItalic and attrBlink).
const (
	attrReverse   = 1 << 0
	attrUnderline = 1 << 1
	attrBold      = 1 << 2
	attrItalic    = 1 << 4
	attrBlink     = 1 << 5
)

// modes are the terminal modes a repaint sets again, with the private mode
// number of each; what vt10x does not track (bracketed paste) is left to
// the program.
var modes = []struct {
	flag vt10x.ModeFlag
	num  int
}{
	{vt10x.ModeAppCursor, 1},
	{vt10x.ModeMouseX10, 9},
	{vt10x.ModeMouseButton, 1000},
	{vt10x.ModeMouseMotion, 1002},
	{vt10x.ModeMouseMany, 1003},
	{vt10x.ModeMouseSgr, 1006},
}

// Repaint returns what draws the screen on a client's terminal of the
// screen's size, whatever it showed before: the alternate screen when the
// program uses it, every non-blank cell with its colours and attributes,
// the terminal modes the program set, and the cursor where it was, in the
// program's current colours.
//
// A notice, if not "", is shown on the first line of the main screen: a
// shell's screen is drawn below it (without its first row, scrolled off),
// and a program on the alternate screen finds it there when it ends.
func (s *Screen) Repaint(notice string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	mode := s.term.Mode()
	switch {
	case mode&vt10x.ModeAltScreen != 0:
		if notice != "" {
			b.WriteString("\r\x1b[m\x1b[K" + notice + "\r\n")
		}
		b.WriteString("\x1b[?1049h\x1b[m\x1b[H\x1b[2J")
		s.paintRows(&b, 0)
	case notice != "":
		b.WriteString("\r\x1b[m\x1b[K" + notice)
		s.paintLines(&b)
	default:
		b.WriteString("\x1b[m\x1b[H\x1b[2J")
		s.paintRows(&b, 0)
	}
	paintModes(&b, mode)
	cur := s.term.Cursor()
	b.WriteString("\x1b[m")
	b.WriteString(sgr(cur.Attr))
	b.WriteString("\x1b[" + strconv.Itoa(cur.Y+1) + ";" + strconv.Itoa(cur.X+1) + "H")
	if !s.term.CursorVisible() {
		b.WriteString("\x1b[?25l")
	} else {
		b.WriteString("\x1b[?25h")
	}
	return []byte(b.String())
}

// paintRows draws the rows from first on, each at its place.
func (s *Screen) paintRows(b *strings.Builder, first int) {
	for y := first; y < s.rows; y++ {
		if s.lastShown(y) >= 0 {
			b.WriteString("\x1b[" + strconv.Itoa(y+1) + ";1H")
			s.paintCells(b, y)
		}
	}
}

// paintLines draws the rows but the first as lines below the cursor's, so
// that the terminal scrolls them into place whatever it showed: the line
// the cursor is on then sits on top, and row y at line y+1, as in
// paintRows.
func (s *Screen) paintLines(b *strings.Builder) {
	for y := 1; y < s.rows; y++ {
		b.WriteString("\r\n")
		s.paintCells(b, y)
		b.WriteString("\x1b[K")
	}
}

// lastShown returns the column of row y's last cell that shows anything,
// or -1.
func (s *Screen) lastShown(y int) int {
	last := -1
	for x := 0; x < s.cols; x++ {
		if shows(s.term.Cell(x, y)) {
			last = x
		}
	}
	return last
}

// paintCells draws row y's cells up to its last that shows anything, from
// the cursor, and leaves the default colours on.
func (s *Screen) paintCells(b *strings.Builder, y int) {
	drawn, last := "", s.lastShown(y)
	for x := 0; x <= last; x++ {
		g := s.term.Cell(x, y)
		if p := sgr(penOf(g)); p != drawn {
			b.WriteString("\x1b[m" + p)
			drawn = p
		}
		b.WriteRune(printable(g.Char))
	}
	b.WriteString("\x1b[m")
}

// penOf returns the pen that draws cell g: the emulator stores a reverse
// cell with its colours swapped.
func penOf(g vt10x.Glyph) vt10x.Glyph {
	if g.Mode&attrReverse != 0 {
		g.FG, g.BG = g.BG, g.FG
	}
	return g
}

// shows reports whether a cell differs from a blank one.
func shows(g vt10x.Glyph) bool {
	return (g.Char != ' ' && g.Char != 0) || g.BG != vt10x.DefaultBG || g.Mode&(attrReverse|attrUnderline) != 0
}

// printable is what a cell's character is drawn as: the emulator keeps only
// printable characters in cells, but a blank is a space.
func printable(c rune) rune {
	if c < ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) {
		return ' '
	}
	return c
}

// paintModes sets the terminal modes of mode.
func paintModes(b *strings.Builder, mode vt10x.ModeFlag) {
	for _, m := range modes {
		if mode&m.flag != 0 {
			b.WriteString("\x1b[?" + strconv.Itoa(m.num) + "h")
		}
	}
	if mode&vt10x.ModeAppKeypad != 0 {
		b.WriteString("\x1b=")
	}
}

// sgr returns the parameters that give a cell its colours and attributes
// after a reset, as one sequence, or "" for the defaults.
func sgr(g vt10x.Glyph) string {
	var ps []string
	for _, a := range []struct {
		bit int16
		p   string
	}{{attrBold, "1"}, {attrItalic, "3"}, {attrUnderline, "4"}, {attrBlink, "5"}, {attrReverse, "7"}} {
		if g.Mode&a.bit != 0 {
			ps = append(ps, a.p)
		}
	}
	ps = appendColor(ps, g.FG, vt10x.DefaultFG, 30, 90, "38")
	ps = appendColor(ps, g.BG, vt10x.DefaultBG, 40, 100, "48")
	if len(ps) == 0 {
		return ""
	}
	return "\x1b[" + strings.Join(ps, ";") + "m"
}

// appendColor appends the parameters of colour c: one of the 8 (base) or
// bright 8 (bright), one of 256 (ext;5;N), or 24-bit (ext;2;R;G;B).
func appendColor(ps []string, c, def vt10x.Color, base, bright int, ext string) []string {
	switch {
	case c == def || c >= 1<<24:
		return ps
	case c < 8:
		return append(ps, strconv.Itoa(base+int(c)))
	case c < 16:
		return append(ps, strconv.Itoa(bright+int(c)-8))
	case c < 256:
		return append(ps, ext, "5", strconv.Itoa(int(c)))
	}
	return append(ps, ext, "2", strconv.Itoa(int(c>>16&0xff)), strconv.Itoa(int(c>>8&0xff)), strconv.Itoa(int(c&0xff)))
}
