package sshgate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pkg/sftp"
)

// agentLink is the SSH_AUTH_SOCK of kept sessions, inside the guest: a
// symbolic link to the agent socket of the newest connection of the guest
// that forwards an agent, so that a shell reattached from another
// connection reaches that connection's agent, as the issue of a dropped
// connection asks. Its directory is private to the guest's root (0700),
// as each connection's own.
const (
	agentLinkDir = "/tmp/vmhost-agent"
	agentLink    = agentLinkDir + "/agent"
)

// agentLinkTimeout bounds pointing a guest's agent link.
const agentLinkTimeout = 10 * time.Second

// agentLinks follows, per guest, the connections that forward an agent,
// newest last, and points each guest's agentLink at the newest one's.
type agentLinks struct {
	mu     sync.Mutex
	guests map[string]*guestAgents
}

// guestAgents are one guest's connections that forward an agent.
type guestAgents struct {
	point sync.Mutex // one re-pointing at a time, in order
	conns []*conn
}

// newAgentLinks returns an empty registry.
func newAgentLinks() *agentLinks { return &agentLinks{guests: make(map[string]*guestAgents)} }

// add records that c, a connection to guest id, forwards an agent now, and
// points the guest's link at its socket.
func (l *agentLinks) add(id string, c *conn) {
	l.mu.Lock()
	g := l.guests[id]
	if g == nil {
		g = &guestAgents{}
		l.guests[id] = g
	}
	g.conns = append(g.conns, c)
	l.mu.Unlock()
	l.repoint(id, g, c)
}

// remove forgets c, a connection to guest id that ends, and points the
// guest's link at the newest connection left, or removes it.
func (l *agentLinks) remove(id string, c *conn) {
	l.mu.Lock()
	g := l.guests[id]
	if g == nil || !slices.Contains(g.conns, c) {
		l.mu.Unlock()
		return
	}
	g.conns = slices.DeleteFunc(g.conns, func(x *conn) bool { return x == c })
	if len(g.conns) == 0 {
		delete(l.guests, id)
	}
	l.mu.Unlock()
	l.repoint(id, g, c)
}

// repoint points guest id's link at its newest connection's agent socket,
// or removes it when none is left; via is a connection whose guest handle
// works for that.
func (l *agentLinks) repoint(id string, g *guestAgents, via *conn) {
	g.point.Lock()
	defer g.point.Unlock()
	l.mu.Lock()
	var target *conn
	if n := len(g.conns); n > 0 {
		target = g.conns[n-1]
	}
	l.mu.Unlock()
	if target != nil {
		via = target
	}
	via.agentMu.Lock()
	sock := via.agent
	via.agentMu.Unlock()
	if sock == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(via.ctx), agentLinkTimeout)
	defer cancel()
	err := withGuestFiles(ctx, sock.rf.guest, func(fs *sftp.Client) error {
		if target == nil {
			return removeLink(fs)
		}
		return pointLink(fs, sock.path, target.id)
	})
	if err != nil {
		via.log.Warn("pointing the guest's agent link", "err", err)
	}
}

// pointLink makes agentLink point at sock, replacing what is there in one
// rename.
func pointLink(fs *sftp.Client, sock string, connID uint64) error {
	if err := fs.Mkdir(agentLinkDir); err != nil && !errors.Is(err, os.ErrExist) {
		if fi, serr := fs.Lstat(agentLinkDir); serr != nil || !fi.IsDir() {
			return fmt.Errorf("making %s: %w", agentLinkDir, err)
		}
	}
	if err := fs.Chmod(agentLinkDir, 0o700); err != nil {
		return fmt.Errorf("making %s private: %w", agentLinkDir, err)
	}
	tmp := path.Join(agentLinkDir, ".agent."+strconv.FormatUint(connID, 10))
	fs.Remove(tmp)
	if err := fs.Symlink(sock, tmp); err != nil {
		return fmt.Errorf("linking %s: %w", tmp, err)
	}
	if err := fs.PosixRename(tmp, agentLink); err != nil {
		fs.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", agentLink, err)
	}
	return nil
}

// removeLink removes agentLink and its directory, no connection
// forwarding an agent any more.
func removeLink(fs *sftp.Client) error {
	for _, p := range []string{agentLink, agentLinkDir} {
		if err := fs.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", p, err)
		}
	}
	return nil
}
