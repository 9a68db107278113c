package sshgate

import (
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/guest"
)

// maxQueuedRequests bounds the requests of a session read while the
// backend is being dialed; beyond them, the client's requests wait in the
// ssh package's queue.
const maxQueuedRequests = 32

// serveSession relays one session channel until both ends are closed.
func (l *relayLink) serveSession(nch ssh.NewChannel) {
	c := l.c
	ch, reqs, err := nch.Accept()
	if err != nil {
		c.log.Info("accepting session channel", "err", err)
		return
	}
	id := guest.GuestID(c.owner, c.guest)
	c.srv.metrics.SessionOpened(id)
	defer c.srv.metrics.SessionClosed(id)
	mc := c.meter(ch)
	client := channelEnd{mc, reqs}
	queued, be, err := l.awaitBackend(mc, reqs)
	var far channelEnd
	if err == nil {
		far.ch, far.reqs, err = be.Conn.OpenChannel("session", nch.ExtraData())
	}
	if err != nil {
		l.failSession(client, queued, err)
		return
	}
	c.loggedIn()
	start := time.Now()
	c.audit.Info("session", "outcome", "started", "relayed", true)
	l.pipe(client, far, queued, l.checkSessionRequest)
	l.auditClosed(c.audit, "session ended", mc, start)
}

// awaitBackend waits for the dial, reading the session's requests
// meanwhile (up to maxQueuedRequests) and showing the dial's progress on
// the first session that asked for a terminal. It returns the requests
// read, to be relayed first.
func (l *relayLink) awaitBackend(mc *meteredChannel, reqs <-chan *ssh.Request) ([]*ssh.Request, *Backend, error) {
	var queued []*ssh.Request
	showing := false
	for {
		in := reqs
		if len(queued) >= maxQueuedRequests {
			in = nil
		}
		select {
		case <-l.ready:
			if showing {
				l.progress.flushTo(mc)
			}
			be, err := l.backend()
			return queued, be, err
		case <-l.c.ctx.Done():
			_, err := l.backend()
			return queued, nil, err
		case req, ok := <-in:
			if !ok {
				reqs = nil // the client closed the channel; wait for the dial all the same
				continue
			}
			queued = append(queued, req)
			if req.Type == "pty-req" && !showing && l.progress.claim() {
				showing = true
				l.progress.flushTo(mc)
			}
		case <-l.progress.wake:
			if showing {
				l.progress.flushTo(mc)
			}
		}
	}
}

// failStartWait bounds how long a failed session waits for the client's
// request that starts it (shell, exec, subsystem), to accept it before the
// reason is shown: a client whose start request was refused shows no
// stderr.
const failStartWait = 2 * time.Second

// failSession tells the client why its session cannot be relayed, on the
// channel's stderr, and ends it with exit status 1, as a session whose
// guest cannot start. The session's requests are accepted, so that the
// client reads the reason and the exit status rather than reporting a
// refused request.
func (l *relayLink) failSession(client channelEnd, queued []*ssh.Request, err error) {
	c := l.c
	c.refused("session", "outcome", "refused", "relayed", true, "err", err.Error())
	started := false
	accept := func(req *ssh.Request) {
		switch req.Type {
		case "shell", "exec", "subsystem":
			started = true
		}
		if req.WantReply {
			req.Reply(true, nil)
		}
	}
	for _, req := range queued {
		accept(req)
	}
	for deadline := time.After(failStartWait); !started && client.reqs != nil; {
		select {
		case req, ok := <-client.reqs:
			if !ok {
				client.reqs = nil
				continue
			}
			accept(req)
		case <-deadline:
			started = true
		}
	}
	fmt.Fprintf(client.ch.Stderr(), "vmhost: %s\r\n", userMessage(err))
	client.ch.SendRequest("exit-status", false, ssh.Marshal(exitStatusMsg{1}))
	client.ch.CloseWrite()
	client.ch.Close()
	if client.reqs != nil {
		ssh.DiscardRequests(client.reqs)
	}
}

// checkSessionRequest refuses what the server's settings or the key do
// not allow a session: a terminal under no-pty, agent forwarding under
// no-agent-forwarding or ssh.allow_agent_forwarding: false.
func (l *relayLink) checkSessionRequest(req *ssh.Request) string {
	c := l.c
	reason := ""
	switch req.Type {
	case "pty-req":
		if c.grant.NoPTY {
			reason = "the key does not allow a terminal (no-pty)"
		}
	case "auth-agent-req@openssh.com":
		switch {
		case c.srv.limits.fwd.NoAgent:
			reason = "agent forwarding is turned off on this server (ssh.allow_agent_forwarding)"
		case c.grant.NoAgentForwarding:
			reason = "the key does not allow agent forwarding (no-agent-forwarding)"
		}
	}
	if reason != "" {
		c.refused("session", "kind", req.Type, "outcome", "refused", "reason", reason)
	}
	return reason
}
