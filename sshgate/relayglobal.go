package sshgate

import (
	"golang.org/x/crypto/ssh"
)

// serveGlobalRequests relays the client's global requests to the backend,
// in order, with the backend's answers (the port chosen for
// tcpip-forward to port 0 included).
func (l *relayLink) serveGlobalRequests(reqs <-chan *ssh.Request) {
	for req := range reqs {
		l.c.guard("global request", func() {
			ok, payload := l.globalRequest(req)
			if req.WantReply {
				req.Reply(ok, payload)
			}
		})()
	}
}

// globalRequest relays one global request, unless the server's settings
// or the key refuse it.
func (l *relayLink) globalRequest(req *ssh.Request) (bool, []byte) {
	if reason := l.refuseGlobal(req); reason != "" {
		l.c.refused("forward", "kind", req.Type, "outcome", "refused", "reason", reason)
		return false, nil
	}
	switch req.Type {
	case "no-more-sessions@openssh.com":
		l.c.noMoreSessions.Store(true)
	case "hostkeys-prove-00@openssh.com":
		return false, nil // only the relay's own host keys are the client's to check
	}
	be, err := l.backend()
	if err != nil {
		return false, nil
	}
	ok, payload, err := be.Conn.SendRequest(req.Type, req.WantReply, req.Payload)
	if err != nil {
		return false, nil
	}
	if isForwardRequest(req.Type) {
		l.c.audit.Info("forward", "kind", req.Type, "outcome", outcome(ok), "relayed", true)
	}
	return ok, payload
}

// isForwardRequest reports whether a global request asks for or cancels a
// remote forward, for the audit log.
func isForwardRequest(t string) bool {
	switch t {
	case "tcpip-forward", "cancel-tcpip-forward", "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com":
		return true
	}
	return false
}

// outcome names the backend's answer to a request.
func outcome(ok bool) string {
	if ok {
		return "accepted"
	}
	return "refused"
}

// refuseGlobal returns why a remote forward request is refused by the
// server's settings or the key, or "".
func (l *relayLink) refuseGlobal(req *ssh.Request) string {
	c := l.c
	switch req.Type {
	case "tcpip-forward":
		var m tcpipForwardMsg
		if err := ssh.Unmarshal(req.Payload, &m); err != nil {
			return "malformed tcpip-forward request"
		}
		if c.srv.limits.fwd.NoTCP {
			return "TCP forwarding is turned off on this server (ssh.allow_tcp_forwarding)"
		}
		if !c.grant.AllowsListen(m.Addr, m.Port) {
			return "the key does not allow listening there (no-port-forwarding, permitlisten)"
		}
	case "streamlocal-forward@openssh.com":
		if c.srv.limits.fwd.NoStreamlocal {
			return "Unix socket forwarding is turned off on this server (ssh.allow_streamlocal_forwarding)"
		}
		if c.grant.NoPortForwarding {
			return "the key does not allow forwarding (no-port-forwarding)"
		}
	}
	return ""
}
