package guest

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

func TestGuestListenAndDial(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := g.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "from the guest")
	}()
	// The port is on the guest's loopback, not the host's.
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("dialing %s on the host succeeded; want it only in the guest", addr)
	}
	c, err := g.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "from the guest" {
		t.Errorf("read through Dial(%s) = %q, %v; want %q", addr, got, err, "from the guest")
	}
}

func TestGuestUnixListenIsPrivate(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := g.Listen(ctx, "unix", "/tmp/ssh-test/agent.1")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, _, _ := run(t, g, "/bin/sh", "-c", "stat -c %a /tmp/ssh-test; [ -S /tmp/ssh-test/agent.1 ] && echo socket")
	if out != "700\nsocket\n" {
		t.Errorf("agent socket dir and socket: %q, want %q", out, "700\nsocket\n")
	}
	if _, err := g.Dial(ctx, "udp", "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("Dial(udp) = %v, want not supported", err)
	}
}

func TestGuestSFTP(t *testing.T) {
	m := testManager(t)
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.Spawn(ctx, SpawnRequest{Subsystem: "sftp"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, err := sftp.NewClientPipe(p.Stdout(), p.Stdin())
	if err != nil {
		t.Fatal(err)
	}
	f, err := client.Create("hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "over sftp\n")
	f.Close()
	wd, _ := client.Getwd()
	client.Close()
	if st, err := p.Wait(); err != nil || st.Code != 0 {
		t.Errorf("sftp server ended with %+v, %v; want 0", st, err)
	}
	if wd != "/root" {
		t.Errorf("sftp working directory = %q, want /root", wd)
	}
	if out, _, _ := run(t, g, "/bin/cat", "/root/hello.txt"); out != "over sftp\n" {
		t.Errorf("file written over sftp reads %q in the guest", out)
	}
}
