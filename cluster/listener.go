package cluster

import (
	"crypto/tls"
	"net"
	"sync"
)

// Listen returns a listener of TLS connections over ln with config. A
// connection's handshake runs on its first read or write, within whatever
// deadline its server set (the SSH login grace time), not in Accept; a
// handshake that fails is told to refused, and the connection's reads and
// writes fail with it.
func Listen(ln net.Listener, config *tls.Config, refused func(remote net.Addr, err error)) net.Listener {
	return &listener{Listener: ln, config: config, refused: refused}
}

// listener is the listener of Listen.
type listener struct {
	net.Listener
	config  *tls.Config
	refused func(net.Addr, error)
}

// Accept implements net.Listener.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: tls.Server(c, l.config), refused: l.refused}, nil
}

// conn is a TLS connection that reports a failed handshake.
type conn struct {
	*tls.Conn
	once    sync.Once
	err     error
	refused func(net.Addr, error)
}

// handshake runs the handshake once and returns its error.
func (c *conn) handshake() error {
	c.once.Do(func() {
		c.err = c.Conn.Handshake()
		if c.err != nil && c.refused != nil {
			c.refused(c.RemoteAddr(), c.err)
		}
	})
	return c.err
}

// Read implements net.Conn.
func (c *conn) Read(p []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// Write implements net.Conn.
func (c *conn) Write(p []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
