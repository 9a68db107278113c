package screen

// MaxParam bounds every numeric parameter of a control sequence the emulator
// sees. Larger values mean nothing on a screen of at most [MaxCols] columns,
// and left as they are they make the emulator loop for as long as the number
// says or overflow its arithmetic. Mode numbers (1049, 2004) stay below it.
const MaxParam = 9999

// clampState is where a [clamp] is in the byte stream.
type clampState uint8

const (
	ground   clampState = iota // text
	escape                     // after ESC
	csiParam                   // inside ESC [ ... up to its final byte
)

// clamp rewrites a byte stream so that no number inside a control sequence
// (ESC [ params final) exceeds [MaxParam]. A number is held back until the
// byte after it, so one split between two writes is handled whole; leading
// zeros are dropped, which changes no parameter's meaning.
type clamp struct {
	state  clampState
	value  int  // the number being read, at most MaxParam+1
	digits bool // a number is being read
}

// filter appends p, rewritten, to out and returns it.
func (c *clamp) filter(out, p []byte) []byte {
	for _, b := range p {
		out = c.step(out, b)
	}
	return out
}

// step handles one byte.
func (c *clamp) step(out []byte, b byte) []byte {
	switch c.state {
	case escape:
		c.state = ground
		if b == '[' {
			c.state = csiParam
		}
		return append(out, b)
	case csiParam:
		return c.param(out, b)
	}
	if b == 0x1b {
		c.state = escape
	}
	return append(out, b)
}

// param handles one byte inside a control sequence's parameters.
func (c *clamp) param(out []byte, b byte) []byte {
	if b >= '0' && b <= '9' {
		c.digits = true
		c.value = min(c.value*10+int(b-'0'), MaxParam+1)
		return out
	}
	if c.digits {
		out = append(out, itoa(min(c.value, MaxParam))...)
		c.digits, c.value = false, 0
	}
	switch {
	case b == 0x1b:
		c.state = escape
	case b >= 0x40 && b <= 0x7e, b == 0x18, b == 0x1a:
		c.state = ground // final byte, or CAN/SUB cancelling the sequence
	}
	return append(out, b)
}

// itoa formats a small non-negative number.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
