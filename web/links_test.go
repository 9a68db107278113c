package web

import (
	"strings"
	"testing"
	"time"
)

// clock is a settable clock for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)} }
func issue(t *testing.T, s *links, person string) string {
	t.Helper()
	tok, err := s.issue(link{person: person, owner: person, guest: person})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLinksOnceAndExpiry(t *testing.T) {
	c := newClock()
	s := newLinks(5*time.Minute, c.now)
	tok := issue(t, s, "alice")
	if len(tok) != 43 { // 32 bytes, base64url without padding
		t.Errorf("token %q: %d characters, want 43", tok, len(tok))
	}
	for h := range s.byHash {
		if strings.Contains(string(h[:]), tok) {
			t.Error("the token is kept in the clear")
		}
	}
	if l, ok := s.redeem(tok); !ok || l.person != "alice" {
		t.Fatalf("redeem = %+v, %v; want alice's link", l, ok)
	}
	if _, ok := s.redeem(tok); ok {
		t.Error("a used token was accepted again")
	}
	late := issue(t, s, "alice")
	c.add(5 * time.Minute)
	if _, ok := s.redeem(late); ok {
		t.Error("an expired token was accepted")
	}
	if _, ok := s.redeem("not-a-token"); ok {
		t.Error("an unknown token was accepted")
	}
}

func TestLinksBounded(t *testing.T) {
	c := newClock()
	s := newLinks(time.Minute, c.now)
	var toks []string
	for range maxLinksPerPerson + 2 {
		toks = append(toks, issue(t, s, "alice"))
		c.add(time.Second)
	}
	if len(s.byHash) != maxLinksPerPerson {
		t.Errorf("%d links kept for one person, want %d", len(s.byHash), maxLinksPerPerson)
	}
	if _, ok := s.redeem(toks[0]); ok {
		t.Error("the oldest link outlived the per-person bound")
	}
	if _, ok := s.redeem(toks[len(toks)-1]); !ok {
		t.Error("the newest link was dropped")
	}
	for i := len(s.byHash); i < maxLinks; i++ {
		s.byHash[hashSecret(string(rune(i))+"x")] = link{person: "p" + string(rune(i)), expires: c.t.Add(time.Hour)}
	}
	if _, err := s.issue(link{person: "bob"}); err != errTooManyLinks {
		t.Errorf("issue past maxLinks = %v, want errTooManyLinks", err)
	}
	c.add(2 * time.Hour) // all expired: pruned
	if _, err := s.issue(link{person: "bob"}); err != nil {
		t.Errorf("issue after expiry = %v", err)
	}
	if n := s.revoke("bob"); n != 1 {
		t.Errorf("revoke = %d, want 1", n)
	}
}

func TestBrowsers(t *testing.T) {
	c := newClock()
	s := newBrowsers(time.Hour, c.now, "", nil)
	id, b, err := s.create(link{person: "alice", owner: "alice", guest: "box"})
	if err != nil {
		t.Fatal(err)
	}
	if b.csrf == "" || b.csrf == id {
		t.Errorf("csrf token %q for session %q", b.csrf, id)
	}
	if got, ok := s.lookup(id); !ok || got != b {
		t.Fatal("lookup of a new session failed")
	}
	if _, ok := s.lookup(""); ok {
		t.Error("empty id found")
	}
	c.add(time.Hour)
	if _, ok := s.lookup(id); ok {
		t.Error("an expired session was found")
	}
	id, _, _ = s.create(link{person: "alice"})
	other, _, _ := s.create(link{person: "bob"})
	if n := s.revoke("alice"); n != 1 {
		t.Errorf("revoke(alice) = %d, want 1", n)
	}
	if _, ok := s.lookup(id); ok {
		t.Error("a revoked session was found")
	}
	if _, ok := s.lookup(other); !ok {
		t.Error("revoking alice ended bob's session")
	}
	var first string
	for i := range maxBrowsersPerPerson + 1 {
		id, _, _ := s.create(link{person: "carol"})
		if i == 0 {
			first = id
		}
		c.add(time.Second)
	}
	if _, ok := s.lookup(first); ok {
		t.Error("carol's oldest session outlived the per-person bound")
	}
}

func TestLimiter(t *testing.T) {
	c := newClock()
	l := newLimiter(3, 10*time.Second, c.now)
	a := mustAddr("192.0.2.1")
	for i := range 3 {
		if !l.allow(a) {
			t.Fatalf("try %d refused within the burst", i)
		}
	}
	if l.allow(a) {
		t.Error("a try past the burst was allowed")
	}
	if !l.allow(mustAddr("192.0.2.2")) {
		t.Error("another source was refused")
	}
	if !l.allow(mustAddr("2001:db8::1")) || !l.allow(mustAddr("2001:db8::2")) || !l.allow(mustAddr("2001:db8::3")) || l.allow(mustAddr("2001:db8::4")) {
		t.Error("an IPv6 /64 is not one source")
	}
	c.add(10 * time.Second)
	if !l.allow(a) {
		t.Error("no try allowed after the refill interval")
	}
}
