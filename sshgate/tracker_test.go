package sshgate

import (
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// countTracker counts open connections by owner+name.
type countTracker struct {
	mu   sync.Mutex
	open map[string]int
	seen int
}

func (c *countTracker) Opened(owner, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open[owner+"+"+name]++
	c.seen++
}

func (c *countTracker) Closed(owner, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open[owner+"+"+name]--
}

func (c *countTracker) get(key string) (open, seen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open[key], c.seen
}

func TestTracker(t *testing.T) {
	requireSSH(t) // for ssh-keygen
	key := newUserKey(t, "alice")
	tr := &countTracker{open: map[string]int{}}
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{key.pub}}}, func(o *Options) { o.Tracker = tr })
	c1 := ts.dial(t, "alice+web", key)
	c2 := ts.dial(t, "alice+web", key)
	waitFor(t, "two connections tracked", func() bool { n, _ := tr.get("alice+web"); return n == 2 })
	c1.Close()
	c2.Close()
	waitFor(t, "both connections closed", func() bool { n, _ := tr.get("alice+web"); return n == 0 })
	bad := newUserKey(t, "mallory")
	_, err := ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{
		User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(bad.signer(t))},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: sshTimeout,
	})
	if err == nil {
		t.Fatal("a wrong key logged in")
	}
	if _, seen := tr.get(""); seen != 2 {
		t.Errorf("tracker saw %d connections, want 2: a failed login is not one", seen)
	}
}
