package ttymodes

import (
	"slices"

	"golang.org/x/crypto/ssh"

	"golang.org/x/sys/unix"
)

// controlChars maps opcodes to indexes of Termios.Cc.
var controlChars = map[uint8]int{
	ssh.VINTR:    unix.VINTR,
	ssh.VQUIT:    unix.VQUIT,
	ssh.VERASE:   unix.VERASE,
	ssh.VKILL:    unix.VKILL,
	ssh.VEOF:     unix.VEOF,
	ssh.VEOL:     unix.VEOL,
	ssh.VEOL2:    unix.VEOL2,
	ssh.VSTART:   unix.VSTART,
	ssh.VSTOP:    unix.VSTOP,
	ssh.VSUSP:    unix.VSUSP,
	ssh.VREPRINT: unix.VREPRINT,
	ssh.VWERASE:  unix.VWERASE,
	ssh.VLNEXT:   unix.VLNEXT,
	ssh.VSWTCH:   unix.VSWTC,
	ssh.VDISCARD: unix.VDISCARD,
}

// flagField names one of the four flag words of a termios.
type flagField int

const (
	iflag flagField = iota
	oflag
	cflag
	lflag
)

// flagBit is one boolean mode: a bit in one of the flag words.
type flagBit struct {
	field flagField
	bit   uint32
}

// flagBits maps opcodes to the bit they set or clear. CS7 and CS8 are not
// here: they are a field, not bits (see applyCharSize).
var flagBits = map[uint8]flagBit{
	ssh.IGNPAR:  {iflag, unix.IGNPAR},
	ssh.PARMRK:  {iflag, unix.PARMRK},
	ssh.INPCK:   {iflag, unix.INPCK},
	ssh.ISTRIP:  {iflag, unix.ISTRIP},
	ssh.INLCR:   {iflag, unix.INLCR},
	ssh.IGNCR:   {iflag, unix.IGNCR},
	ssh.ICRNL:   {iflag, unix.ICRNL},
	ssh.IUCLC:   {iflag, unix.IUCLC},
	ssh.IXON:    {iflag, unix.IXON},
	ssh.IXANY:   {iflag, unix.IXANY},
	ssh.IXOFF:   {iflag, unix.IXOFF},
	ssh.IMAXBEL: {iflag, unix.IMAXBEL},
	ssh.IUTF8:   {iflag, unix.IUTF8},

	ssh.ISIG:    {lflag, unix.ISIG},
	ssh.ICANON:  {lflag, unix.ICANON},
	ssh.XCASE:   {lflag, unix.XCASE},
	ssh.ECHO:    {lflag, unix.ECHO},
	ssh.ECHOE:   {lflag, unix.ECHOE},
	ssh.ECHOK:   {lflag, unix.ECHOK},
	ssh.ECHONL:  {lflag, unix.ECHONL},
	ssh.NOFLSH:  {lflag, unix.NOFLSH},
	ssh.TOSTOP:  {lflag, unix.TOSTOP},
	ssh.IEXTEN:  {lflag, unix.IEXTEN},
	ssh.ECHOCTL: {lflag, unix.ECHOCTL},
	ssh.ECHOKE:  {lflag, unix.ECHOKE},
	ssh.PENDIN:  {lflag, unix.PENDIN},

	ssh.OPOST:  {oflag, unix.OPOST},
	ssh.OLCUC:  {oflag, unix.OLCUC},
	ssh.ONLCR:  {oflag, unix.ONLCR},
	ssh.OCRNL:  {oflag, unix.OCRNL},
	ssh.ONOCR:  {oflag, unix.ONOCR},
	ssh.ONLRET: {oflag, unix.ONLRET},

	ssh.PARENB: {cflag, unix.PARENB},
	ssh.PARODD: {cflag, unix.PARODD},
}

// baudRates maps speeds in bits per second to their termios codes.
var baudRates = map[uint32]uint32{
	0: unix.B0, 50: unix.B50, 75: unix.B75, 110: unix.B110, 134: unix.B134,
	150: unix.B150, 200: unix.B200, 300: unix.B300, 600: unix.B600,
	1200: unix.B1200, 1800: unix.B1800, 2400: unix.B2400, 4800: unix.B4800,
	9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400,
	57600: unix.B57600, 115200: unix.B115200, 230400: unix.B230400,
	460800: unix.B460800, 500000: unix.B500000, 576000: unix.B576000,
	921600: unix.B921600, 1000000: unix.B1000000,
}

// applyModes changes t as the SSH terminal modes say. Opcodes are applied in
// ascending order so the result does not depend on map order.
func applyModes(t *unix.Termios, modes map[uint8]uint32) {
	ops := make([]uint8, 0, len(modes))
	for op := range modes {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	for _, op := range ops {
		applyMode(t, op, modes[op])
	}
	applyCharSize(t, modes)
}

// applyMode applies one opcode; unknown opcodes are ignored.
func applyMode(t *unix.Termios, op uint8, v uint32) {
	if i, ok := controlChars[op]; ok {
		applyControlChar(t, i, v)
		return
	}
	if f, ok := flagBits[op]; ok {
		setBit(flagWord(t, f.field), f.bit, v != 0)
		return
	}
	switch op {
	case ssh.TTY_OP_OSPEED:
		if code, ok := baudRates[v]; ok {
			t.Cflag = t.Cflag&^unix.CBAUD | code
			t.Ospeed = v
		}
	case ssh.TTY_OP_ISPEED:
		if code, ok := baudRates[v]; ok {
			t.Cflag = t.Cflag&^unix.CIBAUD | code<<unix.IBSHIFT
			t.Ispeed = v
		}
	}
}

// applyControlChar sets control character i; 255 disables it and other values
// that do not fit a byte are ignored.
func applyControlChar(t *unix.Termios, i int, v uint32) {
	switch {
	case v == disabledChar:
		t.Cc[i] = 0 // _POSIX_VDISABLE on Linux
	case v < disabledChar:
		t.Cc[i] = uint8(v)
	}
}

// applyCharSize sets the character size from CS7 and CS8. Both are sent by
// OpenSSH, CS7 first; as bits they overlap (CS8 includes CS7's bit), so they
// are read together: CS8 wins, then CS7, else the size is left alone.
func applyCharSize(t *unix.Termios, modes map[uint8]uint32) {
	switch {
	case modes[ssh.CS8] != 0:
		t.Cflag = t.Cflag&^unix.CSIZE | unix.CS8
	case modes[ssh.CS7] != 0:
		t.Cflag = t.Cflag&^unix.CSIZE | unix.CS7
	}
}

// flagWord returns a pointer to the flag word f of t.
func flagWord(t *unix.Termios, f flagField) *uint32 {
	switch f {
	case iflag:
		return &t.Iflag
	case oflag:
		return &t.Oflag
	case cflag:
		return &t.Cflag
	default:
		return &t.Lflag
	}
}

// setBit sets or clears bit in *w.
func setBit(w *uint32, bit uint32, on bool) {
	if on {
		*w |= bit
	} else {
		*w &^= bit
	}
}
