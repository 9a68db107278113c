package protocol

import (
	"fmt"
	"net"
	"os"
)

// FileConn turns a SOCK_SEQPACKET descriptor, inherited or made by
// socketpair, into a connection. The descriptor itself is closed: the
// connection holds a duplicate.
func FileConn(fd int) (*net.UnixConn, error) {
	f := os.NewFile(uintptr(fd), "control")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("using fd %d as a connection: %w", fd, err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("fd %d is not a unix socket", fd)
	}
	return uc, nil
}
