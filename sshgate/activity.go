package sshgate

import (
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// meteredChannel is a channel that counts the bytes it carries and marks its
// connection active whenever data passes, for the audit log and the idle
// timeout.
type meteredChannel struct {
	ssh.Channel
	c   *conn
	in  atomic.Int64 // bytes from the client
	out atomic.Int64 // bytes to the client, stderr included
}

// meter wraps ch.
func (c *conn) meter(ch ssh.Channel) *meteredChannel {
	return &meteredChannel{Channel: ch, c: c}
}

// Read implements io.Reader.
func (m *meteredChannel) Read(p []byte) (int, error) {
	n, err := m.Channel.Read(p)
	if n > 0 {
		m.in.Add(int64(n))
		m.c.touch()
	}
	return n, err
}

// Write implements io.Writer.
func (m *meteredChannel) Write(p []byte) (int, error) {
	n, err := m.Channel.Write(p)
	m.wrote(n)
	return n, err
}

// Stderr returns the channel's extended data stream, metered too.
func (m *meteredChannel) Stderr() io.ReadWriter {
	return meteredStderr{m.Channel.Stderr(), m}
}

// wrote counts n bytes sent to the client.
func (m *meteredChannel) wrote(n int) {
	if n > 0 {
		m.out.Add(int64(n))
		m.c.touch()
	}
}

// meteredStderr is the stderr stream of a meteredChannel.
type meteredStderr struct {
	io.ReadWriter
	m *meteredChannel
}

// Write implements io.Writer.
func (s meteredStderr) Write(p []byte) (int, error) {
	n, err := s.ReadWriter.Write(p)
	s.m.wrote(n)
	return n, err
}

// touch records that the connection carried data now.
func (c *conn) touch() {
	c.lastActive.Store(time.Now().UnixNano())
}

// idleFor is how long the connection's channels carried no data.
func (c *conn) idleFor(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, c.lastActive.Load()))
}
