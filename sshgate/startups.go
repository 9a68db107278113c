package sshgate

import (
	"math/rand/v2"
	"net/netip"
	"sync"
)

// DefaultStartupsDropRate is the chance, in percent, that a connection is
// dropped once StartupsDropStart connections are not yet authenticated.
const DefaultStartupsDropRate = 30

// StartupsOptions bound the connections not yet authenticated, as OpenSSH's
// MaxStartups start:rate:full and PerSourceMaxStartups do.
type StartupsOptions struct {
	// Max is the full limit: past it every new connection is closed at
	// once. DefaultMaxStartups when zero.
	Max int
	// PerSource bounds the connections of one source (an IPv4 address, an
	// IPv6 /64); a third of Max when zero.
	PerSource int
	// DropStart is where random early drop starts: with that many
	// connections not yet authenticated, a new one is closed with a chance
	// of DropRate percent, rising linearly to 100% at Max. Half of Max
	// when zero; Max turns early drop off.
	DropStart int
	// DropRate is the chance of a drop at DropStart, in percent;
	// DefaultStartupsDropRate when zero.
	DropRate int
}

// withDefaults fills in the zero fields of o.
func (o StartupsOptions) withDefaults() StartupsOptions {
	o.Max = orDefault(o.Max, DefaultMaxStartups)
	o.PerSource = orDefault(o.PerSource, max(1, o.Max/3))
	o.DropStart = orDefault(o.DropStart, max(1, o.Max/2))
	o.DropRate = orDefault(o.DropRate, DefaultStartupsDropRate)
	return o
}

// Reasons a new connection is refused before its handshake.
const (
	refusedFull      = "too many unauthenticated connections (max_startups)"
	refusedPerSource = "too many unauthenticated connections from this address (per_source_max_startups)"
	refusedDropped   = "many unauthenticated connections: dropped at random (startups_drop_start)"
)

// startups counts the connections not yet authenticated, in all and per
// source. It is safe for concurrent use.
type startups struct {
	opts    StartupsOptions
	percent func() int // a random number from 0 to 99

	mu       sync.Mutex
	open     int
	bySource map[netip.Prefix]int
}

// newStartups returns the counts for opts.
func newStartups(opts StartupsOptions) *startups {
	return &startups{opts: opts.withDefaults(), percent: func() int { return rand.IntN(100) },
		bySource: make(map[netip.Prefix]int)}
}

// acquire takes a slot for a new connection from src; when it cannot, it
// says why.
func (s *startups) acquire(src netip.Addr) (ok bool, reason string) {
	key := sourceBlock(src)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.open >= s.opts.Max:
		return false, refusedFull
	case s.bySource[key] >= s.opts.PerSource:
		return false, refusedPerSource
	case s.drop():
		return false, refusedDropped
	}
	s.open++
	s.bySource[key]++
	return true, ""
}

// drop decides the random early drop of a new connection, as OpenSSH's
// sshd does: no drop below DropStart, then a chance from DropRate percent
// rising linearly to 100 at Max. s.mu must be held.
func (s *startups) drop() bool {
	o := s.opts
	if s.open < o.DropStart || o.DropStart >= o.Max {
		return false
	}
	p := o.DropRate + (100-o.DropRate)*(s.open-o.DropStart)/(o.Max-o.DropStart)
	return s.percent() < p
}

// release gives back the slot of a connection from src, once it is
// authenticated or gone.
func (s *startups) release(src netip.Addr) {
	key := sourceBlock(src)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open--
	if s.bySource[key]--; s.bySource[key] <= 0 {
		delete(s.bySource, key)
	}
}

// sourceBlock is what shares a source's allowance: an IPv4 address, or the
// /64 of an IPv6 address (one host's usual share of IPv6).
func sourceBlock(src netip.Addr) netip.Prefix {
	if !src.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if src.Is6() {
		bits = 64
	}
	p, _ := src.Prefix(bits)
	return p
}
