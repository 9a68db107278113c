package web

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// maxBrowsersPerPerson bounds one person's browser sessions: a new one
// ends their oldest.
const maxBrowsersPerPerson = 16

// maxBrowsers bounds the browser sessions of everyone.
const maxBrowsers = 65536

// errTooManyBrowsers refuses a login while too many browser sessions live.
var errTooManyBrowsers = errors.New("too many browser sessions; try again later")

// browser is one browser's session: who it is, and the CSRF token its
// state changes must carry.
type browser struct {
	person string
	csrf   string
	// owner and guest are where its terminal starts.
	owner, guest     string
	created, expires time.Time
}

// browsers are the live browser sessions, by the hash of their cookie;
// with a file, kept there across restarts.
type browsers struct {
	ttl time.Duration
	now func() time.Time
	// file keeps the sessions; empty: memory only. failed is told when
	// writing it fails.
	file   string
	failed func(error)

	mu     sync.Mutex
	byHash map[[sha256.Size]byte]*browser
}

// newBrowsers returns an empty store whose sessions last ttl, kept in
// file unless it is empty.
func newBrowsers(ttl time.Duration, now func() time.Time, file string, failed func(error)) *browsers {
	return &browsers{ttl: ttl, now: now, file: file, failed: failed, byHash: make(map[[sha256.Size]byte]*browser)}
}

// create starts a browser session for what l opens and returns its id,
// the cookie's value.
func (s *browsers) create(l link) (string, *browser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.prune(now)
	if len(s.byHash) >= maxBrowsers {
		return "", nil, errTooManyBrowsers
	}
	s.dropOldest(l.person)
	id, h := newSecret()
	csrf, _ := newSecret()
	b := &browser{person: l.person, csrf: csrf, owner: l.owner, guest: l.guest, created: now, expires: now.Add(s.ttl)}
	s.byHash[h] = b
	s.save()
	return id, b, nil
}

// lookup returns the live browser session of id.
func (s *browsers) lookup(id string) (*browser, bool) {
	if id == "" {
		return nil, false
	}
	h := hashSecret(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.byHash[h]
	if ok && !s.now().Before(b.expires) {
		delete(s.byHash, h)
		return nil, false
	}
	return b, ok
}

// remove ends the browser session of id.
func (s *browsers) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byHash, hashSecret(id))
	s.save()
}

// revoke ends every browser session of person and returns how many.
func (s *browsers) revoke(person string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for h, b := range s.byHash {
		if b.person == person {
			delete(s.byHash, h)
			n++
		}
	}
	s.save()
	return n
}

// prune forgets expired sessions; s.mu is held.
func (s *browsers) prune(now time.Time) {
	for h, b := range s.byHash {
		if !now.Before(b.expires) {
			delete(s.byHash, h)
		}
	}
}

// dropOldest ends person's oldest sessions while they have
// maxBrowsersPerPerson or more; s.mu is held.
func (s *browsers) dropOldest(person string) {
	for {
		var oldest [sha256.Size]byte
		n := 0
		for h, b := range s.byHash {
			if b.person != person {
				continue
			}
			if n == 0 || b.created.Before(s.byHash[oldest].created) {
				oldest = h
			}
			n++
		}
		if n < maxBrowsersPerPerson {
			return
		}
		delete(s.byHash, oldest)
	}
}
