package sshgate

import "golang.org/x/crypto/ssh"

// cancelTCPIPForward stops the remote forward the client names, by the
// port it asked for or the port it got.
func (c *conn) cancelTCPIPForward(payload []byte) bool {
	var m tcpipForwardMsg
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return false
	}
	return c.cancelRemote(func(rf *remoteForward) bool {
		return rf.key.network == "tcp" && rf.key.addr == m.Addr && (rf.key.port == m.Port || rf.requested == m.Port && m.Port != 0)
	})
}

// cancelStreamlocalForward stops the Unix socket forward on a path.
func (c *conn) cancelStreamlocalForward(payload []byte) bool {
	var m streamlocalForwardMsg
	if err := ssh.Unmarshal(payload, &m); err != nil {
		return false
	}
	return c.cancelRemote(func(rf *remoteForward) bool {
		return rf.key.network == "unix" && rf.key.addr == m.Path
	})
}

// cancelRemote closes the first remote forward that match accepts.
func (c *conn) cancelRemote(match func(*remoteForward) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, rf := range c.remote {
		if match(rf) {
			delete(c.remote, key)
			rf.close()
			c.removeLater(rf)
			c.audit.Info("forward listen", "kind", rf.kind(), "listen", rf.key.addr, "outcome", "cancelled")
			return true
		}
	}
	return false
}

// kind names the forward for logs.
func (rf *remoteForward) kind() string {
	if rf.agent {
		return "agent"
	}
	if rf.key.network == "unix" {
		return "streamlocal-forward"
	}
	return "tcpip-forward"
}

// closeListeners stops every remote forward and the agent socket, and keeps
// new ones from starting. Their socket files are removed by
// removeLeftovers.
func (c *conn) closeListeners() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	for key, rf := range c.remote {
		delete(c.remote, key)
		rf.close()
		c.removeLater(rf)
	}
	if c.agent != nil {
		c.agent.rf.close()
	}
}

// removeLater records the socket file of a Unix socket forward for removal.
// c.mu must be held.
func (c *conn) removeLater(rf *remoteForward) {
	if rf.key.network == "unix" {
		c.leftover = append(c.leftover, leftover{rf.guest, rf.key.addr})
	}
}
