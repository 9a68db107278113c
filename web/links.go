package web

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// Bounds of the links waiting to be used.
const (
	// maxLinks bounds the links waiting, for everyone.
	maxLinks = 4096
	// maxLinksPerPerson bounds one person's: a new one drops their oldest.
	maxLinksPerPerson = 5
)

// errTooManyLinks refuses a link while too many wait to be used.
var errTooManyLinks = errors.New("too many browser links are waiting to be used; try again in a few minutes")

// link is what a one-time token opens: a browser session for person,
// starting in owner's guest.
type link struct {
	person, owner, guest string
	issued, expires      time.Time
}

// links are the one-time tokens waiting to be used, by their hash.
type links struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	byHash map[[sha256.Size]byte]link
}

// newLinks returns an empty store whose tokens last ttl.
func newLinks(ttl time.Duration, now func() time.Time) *links {
	return &links{ttl: ttl, now: now, byHash: make(map[[sha256.Size]byte]link)}
}

// issue returns a new token for l.
func (s *links) issue(l link) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.prune(now)
	if len(s.byHash) >= maxLinks {
		return "", errTooManyLinks
	}
	s.dropOldest(l.person)
	tok, h := newSecret()
	l.issued, l.expires = now, now.Add(s.ttl)
	s.byHash[h] = l
	return tok, nil
}

// redeem returns what tok opens and forgets tok: a token works once, and
// not after it expired.
func (s *links) redeem(tok string) (link, bool) {
	h := hashSecret(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.byHash[h]
	delete(s.byHash, h)
	if !ok || !s.now().Before(l.expires) {
		return link{}, false
	}
	return l, true
}

// prune forgets expired tokens; s.mu is held.
func (s *links) prune(now time.Time) {
	for h, l := range s.byHash {
		if !now.Before(l.expires) {
			delete(s.byHash, h)
		}
	}
}

// dropOldest forgets person's oldest token while they have
// maxLinksPerPerson or more; s.mu is held.
func (s *links) dropOldest(person string) {
	for {
		var oldest [sha256.Size]byte
		n, found := 0, false
		for h, l := range s.byHash {
			if l.person != person {
				continue
			}
			n++
			if !found || l.issued.Before(s.byHash[oldest].issued) {
				oldest, found = h, true
			}
		}
		if n < maxLinksPerPerson {
			return
		}
		delete(s.byHash, oldest)
	}
}

// revoke forgets person's tokens and returns how many there were.
func (s *links) revoke(person string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for h, l := range s.byHash {
		if l.person == person {
			delete(s.byHash, h)
			n++
		}
	}
	return n
}
