// Package ttymodes applies the terminal settings an SSH client asks for to a
// terminal: the terminal modes of RFC 4254 section 8 and the window size.
//
// The modes arrive as a map from the RFC's opcodes to values, as carried by
// guest.TTY. Opcodes this package does not know, and modes Linux has no
// equivalent for (VDSUSP, VSTATUS, VFLUSH), are ignored, as OpenSSH's sshd does.
package ttymodes

// Opcodes of RFC 4254 section 8 (and RFC 8160 for IUTF8).
const (
	opVINTR    = 1
	opVQUIT    = 2
	opVERASE   = 3
	opVKILL    = 4
	opVEOF     = 5
	opVEOL     = 6
	opVEOL2    = 7
	opVSTART   = 8
	opVSTOP    = 9
	opVSUSP    = 10
	opVREPRINT = 12
	opVWERASE  = 13
	opVLNEXT   = 14
	opVSWTCH   = 16
	opVDISCARD = 18

	opIGNPAR  = 30
	opPARMRK  = 31
	opINPCK   = 32
	opISTRIP  = 33
	opINLCR   = 34
	opIGNCR   = 35
	opICRNL   = 36
	opIUCLC   = 37
	opIXON    = 38
	opIXANY   = 39
	opIXOFF   = 40
	opIMAXBEL = 41
	opIUTF8   = 42

	opISIG    = 50
	opICANON  = 51
	opXCASE   = 52
	opECHO    = 53
	opECHOE   = 54
	opECHOK   = 55
	opECHONL  = 56
	opNOFLSH  = 57
	opTOSTOP  = 58
	opIEXTEN  = 59
	opECHOCTL = 60
	opECHOKE  = 61
	opPENDIN  = 62

	opOPOST  = 70
	opOLCUC  = 71
	opONLCR  = 72
	opOCRNL  = 73
	opONOCR  = 74
	opONLRET = 75

	opCS7    = 90
	opCS8    = 91
	opPARENB = 92
	opPARODD = 93

	opISPEED = 128
	opOSPEED = 129
)

// disabledChar is the value SSH clients send for a disabled control character
// (OpenSSH sends 255 for _POSIX_VDISABLE).
const disabledChar = 255
