package sshgate

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
)

// tcpipForwardMsg is the payload of "tcpip-forward" and
// "cancel-tcpip-forward" (RFC 4254 section 7.1).
type tcpipForwardMsg struct {
	Addr string
	Port uint32
}

// forwardedTCPIPMsg is the payload of a "forwarded-tcpip" channel open.
type forwardedTCPIPMsg struct {
	Addr       string
	Port       uint32
	OriginHost string
	OriginPort uint32
}

// streamlocalForwardMsg is the payload of "streamlocal-forward@openssh.com"
// and its cancel.
type streamlocalForwardMsg struct {
	Path string
}

// forwardedStreamlocalMsg is the payload of a
// "forwarded-streamlocal@openssh.com" channel open.
type forwardedStreamlocalMsg struct {
	Path     string
	Reserved string
}

// forwardKey names a remote forward as the client asked for it: the address
// exactly as sent (the client matches on it) and the port it got; for a Unix
// socket, the path.
type forwardKey struct {
	network string
	addr    string
	port    uint32
}

// remoteForward is a listener inside the guest for ssh -R, or for the
// agent socket of ssh -A.
type remoteForward struct {
	key       forwardKey
	requested uint32 // the port asked for; 0 when the server chose
	ln        net.Listener
	guest     Guest
	agent     bool   // the agent socket: connections go to the client's agent
	release   func() // gives back what the listener took from the bounds
	closed    sync.Once
}

// close closes the listener and gives back what it took, once.
func (rf *remoteForward) close() {
	rf.closed.Do(func() {
		rf.ln.Close()
		rf.release()
	})
}

// serveGlobalRequests answers the connection's global requests, in order.
func (c *conn) serveGlobalRequests(reqs <-chan *ssh.Request) {
	for req := range reqs {
		c.guard("global request", func() {
			ok, payload := c.globalRequest(req)
			if req.WantReply {
				req.Reply(ok, payload)
			}
		})()
	}
}

// globalRequest handles one global request; unknown ones (keepalives
// included) are answered with failure, as OpenSSH's sshd does.
func (c *conn) globalRequest(req *ssh.Request) (bool, []byte) {
	switch req.Type {
	case "tcpip-forward":
		return c.tcpipForward(req.Payload)
	case "cancel-tcpip-forward":
		return c.cancelTCPIPForward(req.Payload), nil
	case "streamlocal-forward@openssh.com":
		return c.streamlocalForward(req.Payload), nil
	case "cancel-streamlocal-forward@openssh.com":
		return c.cancelStreamlocalForward(req.Payload), nil
	case "no-more-sessions@openssh.com":
		c.noMoreSessions.Store(true)
		return true, nil
	}
	c.log.Debug("refusing global request", "type", req.Type)
	return false, nil
}

// tcpipForward serves ssh -R: it listens inside the guest and answers a
// request for port 0 with the port chosen.
func (c *conn) tcpipForward(payload []byte) (bool, []byte) {
	var m tcpipForwardMsg
	if err := ssh.Unmarshal(payload, &m); err != nil || m.Port > 65535 {
		return false, nil
	}
	addr := net.JoinHostPort(bindHost(m.Addr), strconv.Itoa(int(m.Port)))
	audit := c.audit.With("kind", "tcpip-forward", "listen", addr)
	if c.srv.limits.fwd.NoTCP {
		c.refuseListen("tcpip-forward", addr, errors.New("ssh.allow_tcp_forwarding is off"))
		return false, nil
	}
	if !c.grant.AllowsListen(m.Addr, m.Port) {
		c.refuseListen("tcpip-forward", addr, errors.New("the key does not allow this listen (no-port-forwarding, permitlisten)"))
		return false, nil
	}
	var bound uint32
	g, ln, err := c.listenForward("tcp", addr, func(ln net.Listener) (err error) {
		bound, err = listenerPort(ln, m.Port)
		return err
	})
	if err != nil {
		c.refuseListen("tcpip-forward", addr, err)
		return false, nil
	}
	rf := &remoteForward{key: forwardKey{"tcp", m.Addr, bound}, requested: m.Port, ln: ln, guest: g, release: c.giveListener}
	if !c.addRemote(rf, audit) {
		return false, nil
	}
	audit.Info("forward listen", "outcome", "listening", "port", bound)
	if m.Port == 0 {
		return true, ssh.Marshal(struct{ Port uint32 }{bound})
	}
	return true, nil
}

// bindHost is where inside the guest a remote forward listens: the
// loopback for "localhost" (OpenSSH's client sends it when no address is
// given), every address for "" and "*", else the address given.
func bindHost(addr string) string {
	switch addr {
	case "localhost":
		return "127.0.0.1"
	case "", "*":
		return ""
	}
	return addr
}

// streamlocalForward serves ssh -R with a Unix socket path: it listens on the
// path inside the guest. The socket file is removed when the forward ends.
func (c *conn) streamlocalForward(payload []byte) bool {
	var m streamlocalForwardMsg
	if err := ssh.Unmarshal(payload, &m); err != nil || m.Path == "" {
		return false
	}
	audit := c.audit.With("kind", "streamlocal-forward", "listen", m.Path)
	if c.srv.limits.fwd.NoStreamlocal {
		c.refuseListen("streamlocal-forward", m.Path, errors.New("ssh.allow_streamlocal_forwarding is off"))
		return false
	}
	if c.grant.NoPortForwarding {
		c.refuseListen("streamlocal-forward", m.Path, errors.New("the key does not allow forwarding (no-port-forwarding)"))
		return false
	}
	g, ln, err := c.listenForward("unix", m.Path, func(ln net.Listener) error { return checkListener(ln, "unix") })
	if err != nil {
		c.refuseListen("streamlocal-forward", m.Path, err)
		return false
	}
	rf := &remoteForward{key: forwardKey{"unix", m.Path, 0}, ln: ln, guest: g, release: c.giveListener}
	if !c.addRemote(rf, audit) {
		return false
	}
	audit.Info("forward listen", "outcome", "listening")
	return true
}

// refuseListen writes the audit line of a refused remote forward.
func (c *conn) refuseListen(kind, addr string, err error) {
	c.refused("forward listen", "kind", kind, "listen", addr, "outcome", "refused", "err", err.Error())
}

// listenForward takes a listener from the connection's bounds, listens
// inside the guest and has check look at the listener the guest gave; on
// error, nothing is taken or left open.
func (c *conn) listenForward(network, address string, check func(net.Listener) error) (Guest, net.Listener, error) {
	if err := c.takeListener(); err != nil {
		return nil, nil, err
	}
	g, ln, err := c.listenGuest(network, address)
	if err == nil {
		if err = check(ln); err != nil {
			ln.Close()
		}
	}
	if err != nil {
		c.giveListener()
		return nil, nil, err
	}
	return g, ln, nil
}

// listenGuest opens the guest and listens inside it.
func (c *conn) listenGuest(network, address string) (Guest, net.Listener, error) {
	ctx, cancel := context.WithTimeout(c.ctx, forwardDialTimeout)
	defer cancel()
	g, err := c.openGuest(ctx)
	if err != nil {
		return nil, nil, err
	}
	ln, err := g.Listen(ctx, network, address)
	if err != nil {
		return nil, nil, err
	}
	if ln == nil {
		return nil, nil, errNoListener
	}
	return g, ln, nil
}

// addRemote records rf and starts accepting on it, unless the connection is
// closing or the same forward exists.
func (c *conn) addRemote(rf *remoteForward, audit *slog.Logger) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.remote[rf.key]; dup || c.closing {
		rf.close()
		c.removeLater(rf)
		return false
	}
	c.remote[rf.key] = rf
	c.goWork("remote forward", func() { c.acceptRemote(rf, audit) })
	return true
}

// acceptRemote opens a channel to the client for each connection to rf,
// within the connection's bounds: a connection past them is closed at once.
func (c *conn) acceptRemote(rf *remoteForward, audit *slog.Logger) {
	for {
		nc, err := rf.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				c.log.Info("accepting forwarded connections", "listen", rf.key.addr, "err", err)
			}
			return
		}
		if nc == nil {
			continue
		}
		if err := c.takeChannel(); err != nil {
			nc.Close()
			c.refused("forward", "kind", rf.kind(), "listen", rf.key.addr, "outcome", "refused", "reason", err.Error())
			continue
		}
		c.goWork("remote forward connection", func() {
			defer c.giveChannel()
			c.forwardRemote(rf, nc, audit)
		})
	}
}

// forwardRemote carries one connection accepted inside the guest over a new
// forwarded-tcpip or forwarded-streamlocal channel.
func (c *conn) forwardRemote(rf *remoteForward, nc net.Conn, audit *slog.Logger) {
	typ, payload := rf.channelOpen(nc)
	audit = audit.With("origin", addrString(nc.RemoteAddr()))
	ch, reqs, err := c.sc.OpenChannel(typ, payload)
	if err != nil {
		nc.Close()
		c.srv.failures.log(audit, c.source, "forward", "outcome", "refused", "err", err.Error())
		return
	}
	c.forward(ch, reqs, nc, audit)
}

// addrString renders a, which may be nil for an unnamed Unix socket.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// channelOpen returns the channel type and payload for a connection to rf.
func (rf *remoteForward) channelOpen(nc net.Conn) (string, []byte) {
	if rf.agent {
		return "auth-agent@openssh.com", nil
	}
	if rf.key.network == "unix" {
		return "forwarded-streamlocal@openssh.com", ssh.Marshal(forwardedStreamlocalMsg{Path: rf.key.addr})
	}
	m := forwardedTCPIPMsg{Addr: rf.key.addr, Port: rf.key.port}
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		m.OriginHost, m.OriginPort = a.IP.String(), uint32(a.Port)
	}
	return "forwarded-tcpip", ssh.Marshal(m)
}
