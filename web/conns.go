package web

import (
	"errors"
	"sync"
)

// maxConnsPerPerson bounds the terminals one person has open in browsers.
const maxConnsPerPerson = 8

// errTooManyConns refuses a terminal past maxConnsPerPerson.
var errTooManyConns = errors.New("too many browser terminals open; close one")

// connTable holds the open terminals of each person, to bound them and to
// end them when the person's browser sessions are revoked.
type connTable struct {
	mu     sync.Mutex
	closes map[string]map[*int]func()
}

func newConnTable() *connTable { return &connTable{closes: make(map[string]map[*int]func())} }

// take adds a terminal of person, ended by end when revoked, and returns
// what removes it.
func (t *connTable) take(person string, end func()) (func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.closes[person]
	if len(m) >= maxConnsPerPerson {
		return nil, errTooManyConns
	}
	if m == nil {
		m = make(map[*int]func())
		t.closes[person] = m
	}
	key := new(int)
	m[key] = end
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(m, key)
		if len(m) == 0 && t.closes[person] != nil && len(t.closes[person]) == 0 {
			delete(t.closes, person)
		}
	}, nil
}

// closeAll ends every terminal of person.
func (t *connTable) closeAll(person string) {
	t.mu.Lock()
	var ends []func()
	for _, end := range t.closes[person] {
		ends = append(ends, end)
	}
	t.mu.Unlock()
	for _, end := range ends {
		end()
	}
}

// closeEveryone ends every terminal.
func (t *connTable) closeEveryone() {
	t.mu.Lock()
	var people []string
	for p := range t.closes {
		people = append(people, p)
	}
	t.mu.Unlock()
	for _, p := range people {
		t.closeAll(p)
	}
}
