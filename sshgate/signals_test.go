package sshgate

import (
	"syscall"
	"testing"
)

func TestSignalByName(t *testing.T) {
	tests := []struct {
		name string
		sig  syscall.Signal
		ok   bool
	}{
		{"INT", syscall.SIGINT, true},
		{"TERM", syscall.SIGTERM, true},
		{"KILL", syscall.SIGKILL, true},
		{"HUP", syscall.SIGHUP, true},
		{"QUIT", syscall.SIGQUIT, true},
		{"USR1", syscall.SIGUSR1, true},
		{"USR2", syscall.SIGUSR2, true},
		{"ABRT", syscall.SIGABRT, true},
		{"SIGTERM", 0, false},
		{"term", 0, false},
		{"", 0, false},
		{"BUS@openssh.com", 0, false},
	}
	for _, tt := range tests {
		sig, ok := signalByName(tt.name)
		if sig != tt.sig || ok != tt.ok {
			t.Errorf("signalByName(%q) = %v, %v, want %v, %v", tt.name, sig, ok, tt.sig, tt.ok)
		}
	}
}

func TestSignalName(t *testing.T) {
	tests := []struct {
		sig  syscall.Signal
		want string
	}{
		{syscall.SIGTERM, "TERM"},
		{syscall.SIGKILL, "KILL"},
		{syscall.SIGSEGV, "SEGV"},
		{syscall.SIGPIPE, "PIPE"},
		{syscall.SIGBUS, "SIG@openssh.com"},
	}
	for _, tt := range tests {
		if got := signalName(tt.sig); got != tt.want {
			t.Errorf("signalName(%v) = %q, want %q", tt.sig, got, tt.want)
		}
	}
	for name, sig := range signalsByName {
		if got := signalName(sig); got != name {
			t.Errorf("signalName(signalByName(%q)) = %q", name, got)
		}
	}
}
