package sshgate

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"vmhost/guest"
)

// fakeMoshHost is a MoshHost that records mappings, refuses the host ports
// in taken, and shows guests' UDP tables from bound.
type fakeMoshHost struct {
	mu       sync.Mutex
	mapped   map[uint16]MoshMapping
	removed  []MoshMapping
	taken    map[uint16]bool
	bound    map[string][]uint16 // guest ID → bound UDP ports; a guest missing is stopped
	readErr  error               // returned by OpenNetTable when set
	unmapErr error               // returned by UnmapUDP, which removes nothing, when set
}

func newFakeMoshHost() *fakeMoshHost {
	return &fakeMoshHost{mapped: map[uint16]MoshMapping{}, taken: map[uint16]bool{}, bound: map[string][]uint16{}}
}

func (f *fakeMoshHost) MapUDP(m MoshMapping) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.mapped[m.HostPort]; ok || f.taken[m.HostPort] {
		return fmt.Errorf("publishing %d: %w", m.HostPort, ErrMoshPortInUse)
	}
	f.mapped[m.HostPort] = m
	return nil
}

func (f *fakeMoshHost) UnmapUDP(ms ...MoshMapping) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unmapErr != nil {
		return f.unmapErr
	}
	for _, m := range ms {
		if f.mapped[m.HostPort] == m {
			delete(f.mapped, m.HostPort)
			f.removed = append(f.removed, m)
		}
	}
	return nil
}

func (f *fakeMoshHost) OpenNetTable(guestID, table string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readErr != nil {
		return nil, f.readErr
	}
	ports, ok := f.bound[guestID]
	if !ok {
		return nil, fmt.Errorf("guest %s: %w", guestID, guest.ErrGuestStopped)
	}
	var b strings.Builder
	b.WriteString("  sl  local_address rem_address   st\n")
	for i, p := range ports {
		if table == "udp" {
			fmt.Fprintf(&b, "  %d: 0200D50A:%04X 00000000:0000 07\n", i, p)
		}
	}
	return io.NopCloser(strings.NewReader(b.String())), nil
}

// setBound sets the bound ports of guestID.
func (f *fakeMoshHost) setBound(guestID string, ports ...uint16) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bound[guestID] = ports
}

// state returns the mappings in place and those removed.
func (f *fakeMoshHost) state() (mapped map[uint16]MoshMapping, removed []MoshMapping) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mapped = make(map[uint16]MoshMapping, len(f.mapped))
	for k, v := range f.mapped {
		mapped[k] = v
	}
	return mapped, append([]MoshMapping(nil), f.removed...)
}
