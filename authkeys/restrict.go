package authkeys

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Restrictions are what a login may do, from its key's options or its
// certificate; the zero value allows everything.
type Restrictions struct {
	NoPTY             bool
	NoPortForwarding  bool // every forwarding: -L, -R, -D, -W, Unix sockets
	NoAgentForwarding bool
	// PermitOpen are the "host:port" destinations of ssh -L, -D and -W,
	// port "*" for any; nil allows any.
	PermitOpen []string
	// PermitListen are the "[host:]port" listens of ssh -R, port "*" for
	// any; nil allows any.
	PermitListen []string
	// Command, when set, runs instead of whatever the client asks for; the
	// client's command is in SSH_ORIGINAL_COMMAND. "internal-sftp" serves
	// only the sftp subsystem.
	Command string
}

// restrictAll is the "restrict" option.
func (r *Restrictions) restrictAll() {
	r.NoPTY, r.NoPortForwarding, r.NoAgentForwarding = true, true, true
}

// Merge returns what both r and o allow: a login under two sets of
// restrictions (a cert-authority line and the certificate it admits) gets
// the stricter of each. Two different forced commands allow nothing, as
// sshd refuses such a login.
func (r Restrictions) Merge(o Restrictions) (Restrictions, error) {
	m := Restrictions{
		NoPTY:             r.NoPTY || o.NoPTY,
		NoPortForwarding:  r.NoPortForwarding || o.NoPortForwarding,
		NoAgentForwarding: r.NoAgentForwarding || o.NoAgentForwarding,
		PermitOpen:        intersect(r.PermitOpen, o.PermitOpen),
		PermitListen:      intersect(r.PermitListen, o.PermitListen),
		Command:           r.Command,
	}
	switch {
	case m.Command == "":
		m.Command = o.Command
	case o.Command != "" && o.Command != m.Command:
		return Restrictions{}, errors.New("the key's command= and the certificate's force-command differ")
	}
	return m, nil
}

// intersect returns the entries of both lists, nil meaning "any".
func intersect(a, b []string) []string {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := []string{}
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				out = append(out, x)
			}
		}
	}
	return out
}

// AllowsOpen reports whether ssh -L (or -D, -W) may connect to host:port.
func (r Restrictions) AllowsOpen(host string, port uint32) bool {
	if r.NoPortForwarding {
		return false
	}
	if r.PermitOpen == nil {
		return true
	}
	for _, p := range r.PermitOpen {
		h, ps, _ := splitHostPort(p)
		if strings.EqualFold(h, host) && (ps == "*" || ps == strconv.FormatUint(uint64(port), 10)) {
			return true
		}
	}
	return false
}

// AllowsListen reports whether ssh -R may listen on host:port (host as the
// client sent it: "" or "localhost" for the default).
func (r Restrictions) AllowsListen(host string, port uint32) bool {
	if r.NoPortForwarding {
		return false
	}
	if r.PermitListen == nil {
		return true
	}
	for _, p := range r.PermitListen {
		h, ps, _ := splitHostPort(p)
		if h != "" && h != "*" && !strings.EqualFold(h, host) {
			continue
		}
		if ps == "*" || (port != 0 && ps == strconv.FormatUint(uint64(port), 10)) {
			return true
		}
	}
	return false
}

// splitHostPort splits "host:port", "[v6]:port" or a bare "port".
func splitHostPort(s string) (host, port string, err error) {
	if !strings.Contains(s, ":") {
		return "", s, nil
	}
	return net.SplitHostPort(s)
}

// checkHostPort checks a permitopen (needHost) or permitlisten value.
func checkHostPort(v string, needHost bool) error {
	host, port, err := splitHostPort(v)
	if err != nil {
		return err
	}
	if needHost && host == "" {
		return errors.New("write host:port (port may be *)")
	}
	if port == "*" {
		return nil
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("port %q is not 1 to 65535 or *", port)
	}
	return nil
}
