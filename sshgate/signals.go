package sshgate

import "syscall"

// signalsByName are the signal names of RFC 4254 section 6.10, without "SIG".
var signalsByName = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT,
	"ALRM": syscall.SIGALRM,
	"FPE":  syscall.SIGFPE,
	"HUP":  syscall.SIGHUP,
	"ILL":  syscall.SIGILL,
	"INT":  syscall.SIGINT,
	"KILL": syscall.SIGKILL,
	"PIPE": syscall.SIGPIPE,
	"QUIT": syscall.SIGQUIT,
	"SEGV": syscall.SIGSEGV,
	"TERM": syscall.SIGTERM,
	"USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2,
}

// unknownSignalName is what OpenSSH's sshd sends in exit-signal for a signal
// that has no RFC 4254 name.
const unknownSignalName = "SIG@openssh.com"

// signalByName returns the signal an SSH "signal" request names.
func signalByName(name string) (syscall.Signal, bool) {
	sig, ok := signalsByName[name]
	return sig, ok
}

// signalName returns the SSH name of sig for an "exit-signal" request.
func signalName(sig syscall.Signal) string {
	for name, s := range signalsByName {
		if s == sig {
			return name
		}
	}
	return unknownSignalName
}
