package sshgate

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
)

// forwardDialTimeout bounds opening the guest and connecting inside it for a
// forwarded channel.
const forwardDialTimeout = 20 * time.Second

// directTCPIPMsg is the payload of a "direct-tcpip" channel open (RFC 4254
// section 7.2).
type directTCPIPMsg struct {
	Host       string
	Port       uint32
	OriginHost string
	OriginPort uint32
}

// directStreamlocalMsg is the payload of a "direct-streamlocal@openssh.com"
// channel open (OpenSSH's PROTOCOL, section 2.4).
type directStreamlocalMsg struct {
	Path      string
	Reserved0 string
	Reserved1 uint32
}

// directTCPIP serves ssh -L, -D and -W: it connects to the host and port the
// client names from inside the guest's network namespace, so that 127.0.0.1
// is the guest's own loopback.
func (c *conn) directTCPIP(nch ssh.NewChannel) {
	var m directTCPIPMsg
	if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil || m.Port > 65535 || m.Host == "" {
		nch.Reject(ssh.ConnectionFailed, "malformed direct-tcpip request")
		return
	}
	target := net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port)))
	audit := c.audit.With("kind", "direct-tcpip", "target", target,
		"origin", net.JoinHostPort(m.OriginHost, strconv.Itoa(int(m.OriginPort))))
	if c.srv.limits.fwd.NoTCP {
		c.refuseForward(nch, audit, ssh.Prohibited, "TCP forwarding is turned off on this server (ssh.allow_tcp_forwarding)")
		return
	}
	if !c.grant.AllowsOpen(m.Host, m.Port) {
		c.refuseForward(nch, audit, ssh.Prohibited, "the key does not allow forwarding to "+target+" (no-port-forwarding, permitopen)")
		return
	}
	c.dialForward(nch, audit, "tcp", target)
}

// directStreamlocal serves ssh -L to a Unix socket path: it connects to the
// socket inside the guest.
func (c *conn) directStreamlocal(nch ssh.NewChannel) {
	var m directStreamlocalMsg
	if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil || m.Path == "" {
		nch.Reject(ssh.ConnectionFailed, "malformed direct-streamlocal request")
		return
	}
	audit := c.audit.With("kind", "direct-streamlocal", "target", m.Path)
	if c.srv.limits.fwd.NoStreamlocal {
		c.refuseForward(nch, audit, ssh.Prohibited, "Unix socket forwarding is turned off on this server (ssh.allow_streamlocal_forwarding)")
		return
	}
	if c.grant.NoPortForwarding {
		c.refuseForward(nch, audit, ssh.Prohibited, "the key does not allow forwarding (no-port-forwarding)")
		return
	}
	c.dialForward(nch, audit, "unix", m.Path)
}

// dialForward connects inside the guest and, once connected, accepts the
// channel and carries the connection.
func (c *conn) dialForward(nch ssh.NewChannel, audit *slog.Logger, network, address string) {
	nc, err := c.dialGuest(network, address)
	if err != nil {
		c.srv.metrics.Error(ErrorForwardDial)
		c.refuseForward(nch, audit, ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		nc.Close()
		c.srv.failures.log(audit, c.source, "forward", "outcome", "refused", "err", err.Error())
		return
	}
	c.forward(ch, reqs, nc, audit)
}

// dialGuest opens the guest and connects inside it.
func (c *conn) dialGuest(network, address string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, forwardDialTimeout)
	defer cancel()
	g, err := c.openGuest(ctx)
	if err != nil {
		return nil, err
	}
	nc, err := g.Dial(ctx, network, address)
	if err == nil && nc == nil {
		err = errNoConn
	}
	if err != nil {
		return nil, fmt.Errorf("connecting to %s in guest %s: %w", address, c.guest, err)
	}
	return nc, nil
}

// refuseForward rejects a forwarding channel and logs why, within the
// source's share of failure lines.
func (c *conn) refuseForward(nch ssh.NewChannel, audit *slog.Logger, reason ssh.RejectionReason, msg string) {
	c.srv.failures.log(audit, c.source, "forward", "outcome", "refused", "reason", msg)
	nch.Reject(reason, clip(msg, maxLogError))
}
