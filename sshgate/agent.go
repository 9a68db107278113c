package sshgate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"

	"github.com/pkg/sftp"

	"vmhost/guest"
)

// agentSocket is the socket inside the guest through which the guest's
// processes reach the client's forwarded agent (ssh -A).
type agentSocket struct {
	path string
	rf   *remoteForward
}

// agentRequest serves "auth-agent-req@openssh.com": it makes the
// connection's agent socket, once, and gives this session SSH_AUTH_SOCK.
func (s *session) agentRequest() bool {
	if s.conn.srv.limits.fwd.NoAgent {
		s.conn.refused("forward listen", "kind", "agent", "outcome", "refused", "reason", "ssh.allow_agent_forwarding is off")
		return false
	}
	if s.conn.grant.NoAgentForwarding {
		s.conn.refused("forward listen", "kind", "agent", "outcome", "refused", "reason", "the key does not allow agent forwarding (no-agent-forwarding)")
		return false
	}
	sock, err := s.conn.agentSocket()
	if err != nil {
		s.conn.refused("forward listen", "kind", "agent", "outcome", "refused", "err", err.Error())
		return false
	}
	s.conn.pointAgentLink()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return false
	}
	s.agent = sock
	return true
}

// agentSocket returns the path of the connection's agent socket, making it
// on first use: /tmp/ssh-RANDOM/agent.N inside the guest, in a directory
// only the guest's root can enter (0700) and with the socket itself 0600,
// as OpenSSH's sshd makes it. Each connection to it opens an
// auth-agent@openssh.com channel to the client. It is removed when the
// connection ends.
func (c *conn) agentSocket() (string, error) {
	c.agentMu.Lock()
	defer c.agentMu.Unlock()
	if c.agent != nil {
		return c.agent.path, nil
	}
	dir, err := randomDir()
	if err != nil {
		return "", err
	}
	p := path.Join(dir, "agent."+strconv.FormatUint(c.id, 10))
	rf, err := c.listenAgent(p)
	if err != nil {
		return "", fmt.Errorf("making the agent socket: %w", err)
	}
	c.mu.Lock()
	c.leftover = append(c.leftover, leftover{rf.guest, p}, leftover{rf.guest, dir})
	c.mu.Unlock()
	if err := c.restrictAgentSocket(rf.guest, dir, p); err != nil {
		rf.close()
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		rf.close()
		return "", errors.New("the connection is closing")
	}
	c.agent = &agentSocket{path: p, rf: rf}
	audit := c.audit.With("kind", "agent", "listen", p)
	audit.Info("forward listen", "outcome", "listening")
	c.goWork("agent socket", func() { c.acceptRemote(rf, audit) })
	if c.srv.agents != nil {
		c.linkAgent = true // its kept sessions' agentLink is pointed here
	}
	return p, nil
}

// listenAgent takes a descriptor from the daemon's budget and listens on the
// agent socket's path inside the guest.
func (c *conn) listenAgent(p string) (*remoteForward, error) {
	budget := c.srv.budget
	if err := budget.Acquire(1); err != nil {
		return nil, err
	}
	g, ln, err := c.listenGuest("unix", p)
	if err == nil {
		if err = checkListener(ln, "unix"); err != nil {
			ln.Close()
		}
	}
	if err != nil {
		budget.Release(1)
		return nil, err
	}
	release := func() { budget.Release(1) }
	return &remoteForward{key: forwardKey{"unix", p, 0}, ln: ln, guest: g, agent: true, release: release}, nil
}

// randomDir returns a fresh directory name under /tmp for an agent socket.
func randomDir() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("naming the agent socket: %w", err)
	}
	return "/tmp/ssh-" + hex.EncodeToString(b), nil
}

// restrictAgentSocket makes the socket 0600 and checks that its directory
// is private (0700): the guest's init made it, as the guest's root.
func (c *conn) restrictAgentSocket(g Guest, dir, sock string) error {
	ctx, cancel := context.WithTimeout(c.ctx, forwardDialTimeout)
	defer cancel()
	return withGuestFiles(ctx, g, func(fs *sftp.Client) error {
		fi, err := fs.Lstat(dir)
		if err != nil {
			return fmt.Errorf("checking the agent socket's directory: %w", err)
		}
		if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			return fmt.Errorf("the agent socket's directory %s is not private (mode %v)", dir, fi.Mode())
		}
		if err := fs.Chmod(sock, 0o600); err != nil {
			return fmt.Errorf("making the agent socket private: %w", err)
		}
		return nil
	})
}

// pointAgentLink points the guest's agentLink at the connection's agent
// socket, once per connection, when sessions are kept.
func (c *conn) pointAgentLink() {
	c.agentMu.Lock()
	link := c.linkAgent && !c.linked
	c.linked = c.linked || link
	c.agentMu.Unlock()
	if link {
		c.srv.agents.add(guest.GuestID(c.owner, c.guest), c)
	}
}

// unlinkAgent points the guest's agentLink away from the connection, which
// ends.
func (c *conn) unlinkAgent() {
	c.agentMu.Lock()
	linked := c.linked
	c.agentMu.Unlock()
	if linked {
		c.srv.agents.remove(guest.GuestID(c.owner, c.guest), c)
	}
}
