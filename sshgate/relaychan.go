package sshgate

import (
	"log/slog"
	"time"

	"golang.org/x/crypto/ssh"
)

// openChannel relays a channel the client opens, or refuses it.
func (l *relayLink) openChannel(nch ssh.NewChannel) {
	c := l.c
	switch t := nch.ChannelType(); t {
	case "session":
		c.acceptSession(nch, l.serveSession)
	case "direct-tcpip", "direct-streamlocal@openssh.com":
		if reason := l.refuseDirect(nch); reason != "" {
			c.refused("forward", "kind", t, "outcome", "refused", "reason", reason)
			nch.Reject(ssh.Prohibited, reason)
			return
		}
		l.acceptForward(nch, l.relayToBackend)
	default:
		c.log.Debug("refusing channel", "type", t)
		nch.Reject(ssh.UnknownChannelType, clip("unsupported channel type "+t, maxLogValue))
	}
}

// refuseDirect returns why the server's settings or the key refuse a
// direct-tcpip or direct-streamlocal channel, or "".
func (l *relayLink) refuseDirect(nch ssh.NewChannel) string {
	c := l.c
	if nch.ChannelType() == "direct-streamlocal@openssh.com" {
		switch {
		case c.srv.limits.fwd.NoStreamlocal:
			return "Unix socket forwarding is turned off on this server (ssh.allow_streamlocal_forwarding)"
		case c.grant.NoPortForwarding:
			return "the key does not allow forwarding (no-port-forwarding)"
		}
		return ""
	}
	var m directTCPIPMsg
	switch err := ssh.Unmarshal(nch.ExtraData(), &m); {
	case err != nil || m.Port > 65535 || m.Host == "":
		return "malformed direct-tcpip request"
	case c.srv.limits.fwd.NoTCP:
		return "TCP forwarding is turned off on this server (ssh.allow_tcp_forwarding)"
	case !c.grant.AllowsOpen(m.Host, m.Port):
		return "the key does not allow forwarding there (no-port-forwarding, permitopen)"
	}
	return ""
}

// acceptForward relays a forwarding channel with relay, unless the
// connection has too many open or the daemon is short of descriptors:
// ssh.max_forward_channels bounds those of both directions together.
func (l *relayLink) acceptForward(nch ssh.NewChannel, relay func(ssh.NewChannel)) {
	c := l.c
	if err := c.takeChannel(); err != nil {
		c.refused("forward", "kind", nch.ChannelType(), "outcome", "refused", "reason", err.Error())
		nch.Reject(ssh.ResourceShortage, err.Error())
		return
	}
	c.goWork(nch.ChannelType(), func() {
		defer c.giveChannel()
		relay(nch)
	})
}

// relayToBackend opens a channel the client asked for on the backend and
// pipes the two.
func (l *relayLink) relayToBackend(nch ssh.NewChannel) {
	be, err := l.backend()
	if err != nil {
		rejectLike(nch, err)
		return
	}
	client, backend, err := openOn(be.Conn, nch)
	if err != nil {
		l.c.log.Debug("relaying channel", "type", nch.ChannelType(), "err", err)
		return
	}
	l.pipeAudited(nch.ChannelType(), client, backend, nil, nil)
}

// serveBackendChannels relays the channels the backend opens towards the
// client: connections to remote forwards, to the forwarded agent, X11.
func (l *relayLink) serveBackendChannels(chans <-chan ssh.NewChannel) {
	for nch := range chans {
		l.c.guard("backend channel open", func() { l.openBackendChannel(nch) })()
	}
}

// openBackendChannel relays one channel the backend opens, or refuses it.
func (l *relayLink) openBackendChannel(nch ssh.NewChannel) {
	switch t := nch.ChannelType(); t {
	case "forwarded-tcpip", "forwarded-streamlocal@openssh.com", "auth-agent@openssh.com", "x11":
		l.acceptForward(nch, l.relayToClient)
	default:
		l.c.log.Debug("refusing backend channel", "type", t)
		nch.Reject(ssh.UnknownChannelType, "unsupported channel type")
	}
}

// relayToClient opens a channel the backend asked for on the client's
// connection and pipes the two.
func (l *relayLink) relayToClient(nch ssh.NewChannel) {
	backend, client, err := openOn(l.c.sc, nch)
	if err != nil {
		l.c.log.Debug("relaying backend channel", "type", nch.ChannelType(), "err", err)
		return
	}
	l.pipeAudited(nch.ChannelType(), client, backend, nil, nil)
}

// pipeAudited pipes a channel, metering the client's end, and writes its
// audit line when it is closed.
func (l *relayLink) pipeAudited(kind string, client, backend channelEnd, queued []*ssh.Request, check requestCheck) {
	c := l.c
	mc := c.meter(client.ch)
	client.ch = mc
	start := time.Now()
	c.srv.metrics.ForwardOpened()
	l.pipe(client, backend, queued, check)
	c.srv.metrics.ForwardClosed(mc.in.Load(), mc.out.Load())
	l.auditClosed(c.audit.With("kind", kind), "forward", mc, start)
}

// auditClosed writes the audit line of a relayed channel that closed.
func (l *relayLink) auditClosed(audit *slog.Logger, msg string, mc *meteredChannel, start time.Time) {
	audit.Info(msg, "outcome", "closed", "relayed", true, "bytes_in", mc.in.Load(), "bytes_out", mc.out.Load(),
		"duration", time.Since(start).Round(time.Millisecond))
}
