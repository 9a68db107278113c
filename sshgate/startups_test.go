package sshgate

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestStartupsDefaults(t *testing.T) {
	tests := []struct {
		in, want StartupsOptions
	}{
		{StartupsOptions{}, StartupsOptions{Max: 100, PerSource: 33, DropStart: 50, DropRate: 30}},
		{StartupsOptions{Max: 1000}, StartupsOptions{Max: 1000, PerSource: 333, DropStart: 500, DropRate: 30}},
		{StartupsOptions{Max: 1}, StartupsOptions{Max: 1, PerSource: 1, DropStart: 1, DropRate: 30}},
		{StartupsOptions{Max: 10, PerSource: 2, DropStart: 5, DropRate: 90}, StartupsOptions{Max: 10, PerSource: 2, DropStart: 5, DropRate: 90}},
	}
	for _, tt := range tests {
		if got := tt.in.withDefaults(); got != tt.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestStartupsAcquire(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8:0:1::1")
	tests := []struct {
		name    string
		opts    StartupsOptions
		percent int // what the random draw gives
		held    []netip.Addr
		src     netip.Addr
		want    string // the reason of the refusal; "" for accepted
	}{
		{"below the start", StartupsOptions{Max: 10, PerSource: 10, DropStart: 5}, 0, many(a, 4), b, ""},
		{"per source", StartupsOptions{Max: 10, PerSource: 3, DropStart: 10}, 99, many(a, 3), a, refusedPerSource},
		{"another source", StartupsOptions{Max: 10, PerSource: 3, DropStart: 10}, 99, many(a, 3), b, ""},
		{"an IPv6 /64 is one source", StartupsOptions{Max: 10, PerSource: 2, DropStart: 10}, 99, many(v6a, 2), netip.MustParseAddr("2001:db8::ffff"), refusedPerSource},
		{"another IPv6 /64", StartupsOptions{Max: 10, PerSource: 2, DropStart: 10}, 99, many(v6a, 2), v6b, ""},
		{"full", StartupsOptions{Max: 4, PerSource: 4, DropStart: 4}, 99, append(many(a, 2), many(b, 2)...), v6a, refusedFull},
		{"at the start: rate 30, draw 29", StartupsOptions{Max: 10, PerSource: 10, DropStart: 5, DropRate: 30}, 29, many(a, 5), b, refusedDropped},
		{"at the start: rate 30, draw 30", StartupsOptions{Max: 10, PerSource: 10, DropStart: 5, DropRate: 30}, 30, many(a, 5), b, ""},
		{"half way: 65%, draw 64", StartupsOptions{Max: 12, PerSource: 12, DropStart: 6, DropRate: 30}, 64, many(a, 9), b, refusedDropped},
		{"half way: 65%, draw 65", StartupsOptions{Max: 12, PerSource: 12, DropStart: 6, DropRate: 30}, 65, many(a, 9), b, ""},
		{"no early drop at start = max", StartupsOptions{Max: 10, PerSource: 10, DropStart: 10, DropRate: 100}, 0, many(a, 9), b, ""},
	}
	for _, tt := range tests {
		s := newStartups(tt.opts)
		s.percent = func() int { return 99 }
		for _, h := range tt.held {
			if ok, reason := s.acquire(h); !ok {
				t.Fatalf("%s: holding a slot for %v: %s", tt.name, h, reason)
			}
		}
		s.percent = func() int { return tt.percent }
		ok, reason := s.acquire(tt.src)
		if reason != tt.want || ok != (tt.want == "") {
			t.Errorf("%s: acquire(%v) = %v, %q, want %q", tt.name, tt.src, ok, reason, tt.want)
		}
	}
}

// many returns n copies of a.
func many(a netip.Addr, n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = a
	}
	return out
}

func TestStartupsRelease(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.1")
	s := newStartups(StartupsOptions{Max: 2, PerSource: 1, DropStart: 2})
	if ok, _ := s.acquire(a); !ok {
		t.Fatal("first acquire refused")
	}
	if ok, _ := s.acquire(a); ok {
		t.Fatal("second acquire of one source accepted past PerSource 1")
	}
	s.release(a)
	if ok, _ := s.acquire(a); !ok {
		t.Errorf("acquire after release refused")
	}
	s.release(a)
	if s.open != 0 || len(s.bySource) != 0 {
		t.Errorf("after every release: open %d, sources %v, want none", s.open, s.bySource)
	}
}

// While one source holds its share of unauthenticated connections, it gets
// no more, and a user from another address logs in at once.
func TestPerSourceMaxStartups(t *testing.T) {
	ts, key := optServer(t, func(o *Options) {
		o.MaxStartups, o.PerSourceMaxStartups, o.StartupsDropStart = 10, 3, 10
	})
	for range 3 {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		readBanner(t, nc)
	}
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(sshTimeout))
	if n, err := nc.Read(make([]byte, 64)); err == nil {
		t.Errorf("a 4th idle connection from one address read %d bytes, want it closed (per_source_max_startups 3)", n)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: sshTimeout}
	other, err := d.Dial("tcp", ts.addr)
	if err != nil {
		t.Skipf("dialing from 127.0.0.2: %v", err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(other, ts.addr, &ssh.ClientConfig{
		User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer(t))},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: sshTimeout,
	})
	if err != nil {
		t.Fatalf("logging in from 127.0.0.2 while 127.0.0.1 holds its share: %v", err)
	}
	c := ssh.NewClient(sc, chans, reqs)
	defer c.Close()
	if !askExec(t, ts, c) {
		t.Errorf("no session from 127.0.0.2")
	}
}

// readBanner reads the server's version line, so that the connection is
// known to be counted.
func readBanner(t *testing.T, nc net.Conn) {
	t.Helper()
	nc.SetDeadline(time.Now().Add(sshTimeout))
	if _, err := nc.Read(make([]byte, 64)); err != nil {
		t.Fatalf("reading the server's banner: %v", err)
	}
	nc.SetDeadline(time.Time{})
}
