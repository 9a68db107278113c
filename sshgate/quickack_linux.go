package sshgate

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// quickAckReads is how many reads of a connection ask the kernel to
// acknowledge at once: the client's version line, read a byte at a time,
// then the key exchange and authentication.
const quickAckReads = 128

// quickAckConn acknowledges what it reads at once during the handshake.
//
// OpenSSH's client leaves Nagle's algorithm on until a session starts, and it
// sends two messages back to back twice in a handshake (KEXINIT then the key
// exchange's first message; NEWKEYS then the service request). The second
// waits until the first is acknowledged, and Linux delays that
// acknowledgement by up to 40 ms when the server has nothing to send back:
// two such stalls made a login about 80 ms longer. TCP_QUICKACK, which the
// kernel clears as it sees fit, is set again before each early read.
type quickAckConn struct {
	*net.TCPConn
	raw   syscall.RawConn
	reads int
}

// withQuickAck wraps a TCP connection; other connections are returned as
// they are.
func withQuickAck(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	return &quickAckConn{TCPConn: tc, raw: raw}
}

// Read implements net.Conn.
func (c *quickAckConn) Read(p []byte) (int, error) {
	if c.reads < quickAckReads {
		c.reads++
		c.raw.Control(func(fd uintptr) {
			unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
		})
	}
	return c.TCPConn.Read(p)
}
