package ttymodes

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Apply sets the SSH terminal modes (RFC 4254 section 8 opcodes to values) on
// the terminal fd, usually a pty's slave side before a shell starts on it.
// Unknown opcodes are ignored. Equivalent to `stty` with the matching settings.
func Apply(fd int, modes map[uint8]uint32) error {
	if len(modes) == 0 {
		return nil
	}
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("reading terminal modes: %w", err)
	}
	applyModes(t, modes)
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("setting terminal modes: %w", err)
	}
	return nil
}

// SetSize sets the window size of the terminal fd, either side of a pty; the
// foreground process group gets SIGWINCH when it changes. Equivalent to
// `stty rows ROWS cols COLS`.
func SetSize(fd int, rows, cols uint16) error {
	ws := &unix.Winsize{Row: rows, Col: cols}
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("setting terminal size to %dx%d: %w", cols, rows, err)
	}
	return nil
}
