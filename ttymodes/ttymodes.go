// Package ttymodes applies the terminal settings an SSH client asks for to a
// terminal: the terminal modes of RFC 4254 section 8 and the window size.
//
// The modes arrive as a map from the RFC's opcodes to values, as carried by
// guest.TTY. Opcodes this package does not know, and modes Linux has no
// equivalent for (VDSUSP, VSTATUS, VFLUSH), are ignored, as OpenSSH's sshd does.
package ttymodes

// disabledChar is the value SSH clients send for a disabled control character
// (OpenSSH sends 255 for _POSIX_VDISABLE).
const disabledChar = 255
