package sshgate

import (
	"errors"
	"fmt"
	"net"

	"vmhost/guest"
)

// What a Guest returns is reached through the guest's init, which the
// guest's root can take over: every value is checked before it is used, and
// a wrong one fails the request it answers, nothing more.

// Refusals of answers from a guest that make no sense.
var (
	errNoGuest    = errors.New("the guest could not be opened (no guest returned)")
	errNoListener = errors.New("the guest returned no listener")
	errNoConn     = errors.New("the guest returned no connection")
	errNoProcess  = errors.New("the guest returned no process")
)

// listenerPort returns the TCP port ln listens on, which must be the port
// asked for unless that was 0.
func listenerPort(ln net.Listener, requested uint32) (uint32, error) {
	if err := checkListener(ln, "tcp"); err != nil {
		return 0, err
	}
	a := ln.Addr().(*net.TCPAddr)
	if a.Port <= 0 || a.Port > 65535 || requested != 0 && uint32(a.Port) != requested {
		return 0, fmt.Errorf("the guest listened on port %d instead of %d", a.Port, requested)
	}
	return uint32(a.Port), nil
}

// checkListener wants ln to be a listener of network: a *net.TCPAddr for
// "tcp", a *net.UnixAddr for "unix".
func checkListener(ln net.Listener, network string) error {
	var ok bool
	switch a := ln.Addr().(type) {
	case *net.TCPAddr:
		ok = network == "tcp" && a != nil
	case *net.UnixAddr:
		ok = network == "unix" && a != nil
	}
	if !ok {
		return fmt.Errorf("the guest returned a %s listener for a %s one", addrNetwork(ln.Addr()), network)
	}
	return nil
}

// addrNetwork names the network of a, which may be nil.
func addrNetwork(a net.Addr) string {
	if a == nil {
		return "nameless"
	}
	return fmt.Sprintf("%s (%T)", a.Network(), a)
}

// checkProcess wants proc to have the files a session uses: its input and
// output, and a terminal when one was asked for.
func checkProcess(proc guest.Process, tty bool) error {
	switch {
	case proc == nil:
		return errNoProcess
	case proc.Stdin() == nil || proc.Stdout() == nil:
		return errors.New("the guest returned a process without its input or output")
	case tty && proc.PTY() == nil:
		return errors.New("the guest returned no terminal")
	}
	return nil
}
