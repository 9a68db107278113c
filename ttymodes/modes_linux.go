package ttymodes

import (
	"slices"

	"golang.org/x/sys/unix"
)

// controlChars maps opcodes to indexes of Termios.Cc.
var controlChars = map[uint8]int{
	opVINTR:    unix.VINTR,
	opVQUIT:    unix.VQUIT,
	opVERASE:   unix.VERASE,
	opVKILL:    unix.VKILL,
	opVEOF:     unix.VEOF,
	opVEOL:     unix.VEOL,
	opVEOL2:    unix.VEOL2,
	opVSTART:   unix.VSTART,
	opVSTOP:    unix.VSTOP,
	opVSUSP:    unix.VSUSP,
	opVREPRINT: unix.VREPRINT,
	opVWERASE:  unix.VWERASE,
	opVLNEXT:   unix.VLNEXT,
	opVSWTCH:   unix.VSWTC,
	opVDISCARD: unix.VDISCARD,
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
	opIGNPAR:  {iflag, unix.IGNPAR},
	opPARMRK:  {iflag, unix.PARMRK},
	opINPCK:   {iflag, unix.INPCK},
	opISTRIP:  {iflag, unix.ISTRIP},
	opINLCR:   {iflag, unix.INLCR},
	opIGNCR:   {iflag, unix.IGNCR},
	opICRNL:   {iflag, unix.ICRNL},
	opIUCLC:   {iflag, unix.IUCLC},
	opIXON:    {iflag, unix.IXON},
	opIXANY:   {iflag, unix.IXANY},
	opIXOFF:   {iflag, unix.IXOFF},
	opIMAXBEL: {iflag, unix.IMAXBEL},
	opIUTF8:   {iflag, unix.IUTF8},

	opISIG:    {lflag, unix.ISIG},
	opICANON:  {lflag, unix.ICANON},
	opXCASE:   {lflag, unix.XCASE},
	opECHO:    {lflag, unix.ECHO},
	opECHOE:   {lflag, unix.ECHOE},
	opECHOK:   {lflag, unix.ECHOK},
	opECHONL:  {lflag, unix.ECHONL},
	opNOFLSH:  {lflag, unix.NOFLSH},
	opTOSTOP:  {lflag, unix.TOSTOP},
	opIEXTEN:  {lflag, unix.IEXTEN},
	opECHOCTL: {lflag, unix.ECHOCTL},
	opECHOKE:  {lflag, unix.ECHOKE},
	opPENDIN:  {lflag, unix.PENDIN},

	opOPOST:  {oflag, unix.OPOST},
	opOLCUC:  {oflag, unix.OLCUC},
	opONLCR:  {oflag, unix.ONLCR},
	opOCRNL:  {oflag, unix.OCRNL},
	opONOCR:  {oflag, unix.ONOCR},
	opONLRET: {oflag, unix.ONLRET},

	opPARENB: {cflag, unix.PARENB},
	opPARODD: {cflag, unix.PARODD},
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
	case opOSPEED:
		if code, ok := baudRates[v]; ok {
			t.Cflag = t.Cflag&^unix.CBAUD | code
			t.Ospeed = v
		}
	case opISPEED:
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
	case modes[opCS8] != 0:
		t.Cflag = t.Cflag&^unix.CSIZE | unix.CS8
	case modes[opCS7] != 0:
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
