package sshgate

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Refusals of what a connection asks for past its bounds; each says which
// setting bounds it.
var (
	errTooManyForwards = errors.New("too many remote forwards on this connection (ssh.max_forwards)")
	errTooManyChannels = errors.New("too many forwarded connections open on this connection (ssh.max_forward_channels)")
)

// counter counts what one connection holds of a kind, up to max. It is safe
// for concurrent use.
type counter struct {
	max int64
	n   atomic.Int64
}

// newCounter returns a counter that allows max at once.
func newCounter(max int) *counter {
	return &counter{max: int64(max)}
}

// take takes one; it reports false, and takes none, when all are taken.
func (c *counter) take() bool {
	if c.n.Add(1) > c.max {
		c.n.Add(-1)
		return false
	}
	return true
}

// give gives back one taken by take.
func (c *counter) give() {
	c.n.Add(-1)
}

// takeListener reserves a remote forward listener of the connection and
// its descriptor in the daemon's budget.
func (c *conn) takeListener() error {
	if !c.listeners.take() {
		return errTooManyForwards
	}
	if err := c.srv.budget.Acquire(1); err != nil {
		c.listeners.give()
		return err
	}
	return nil
}

// giveListener gives back what takeListener took.
func (c *conn) giveListener() {
	c.srv.budget.Release(1)
	c.listeners.give()
}

// takeChannel reserves a forwarded connection of the connection and its
// descriptor in the daemon's budget.
func (c *conn) takeChannel() error {
	if !c.channels.take() {
		return errTooManyChannels
	}
	if err := c.srv.budget.Acquire(1); err != nil {
		c.channels.give()
		return err
	}
	return nil
}

// giveChannel gives back what takeChannel took.
func (c *conn) giveChannel() {
	c.srv.budget.Release(1)
	c.channels.give()
}

// userConns counts the authenticated connections of each user, up to max
// per user. It is safe for concurrent use.
type userConns struct {
	max int

	mu sync.Mutex
	n  map[string]int
}

// newUserConns returns counts that allow max connections per user.
func newUserConns(max int) *userConns {
	return &userConns{max: max, n: make(map[string]int)}
}

// take counts a connection of user; it reports false, and counts nothing,
// when the user has max already.
func (u *userConns) take(user string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[user] >= u.max {
		return false
	}
	u.n[user]++
	return true
}

// give ends a connection of user counted by take.
func (u *userConns) give(user string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[user]--; u.n[user] <= 0 {
		delete(u.n, user)
	}
}

// Bounds of the connections refused for their user's bound: each stays
// open at most refuseLinger, or refuseFlush after its first channel is
// refused, so that the client reads why; past maxRefusing of them at once,
// more are closed without a word.
const (
	refuseLinger = 2 * time.Second
	refuseFlush  = 200 * time.Millisecond
	maxRefusing  = 64
)

// refuseConn serves an authenticated connection whose user has
// max_connections_per_user connections already: every channel is refused
// with the reason, every global request is refused, and the connection is
// closed soon after.
func (s *Server) refuseConn(ctx context.Context, sc *ssh.ServerConn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request, src netip.Addr) {
	const msg = "too many connections for this user (ssh.max_connections_per_user)"
	s.metrics.Login(LoginTooMany)
	s.failures.log(s.audit, src, "login", "outcome", "refused", "user", sc.User(),
		"remote", sc.RemoteAddr().String(), "reason", msg)
	if !s.refusing.take() {
		sc.Close()
		return
	}
	defer s.refusing.give()
	go ssh.DiscardRequests(reqs)
	ctx, cancel := context.WithTimeout(ctx, refuseLinger)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { sc.Close() })
	defer stop()
	for nch := range chans {
		nch.Reject(ssh.ResourceShortage, msg)
		time.AfterFunc(refuseFlush, cancel)
	}
}
