package netplumb

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// fakeFilter is an in-memory [PortFilter] that behaves like nf_tables where
// the network relies on it: a port's chain can only go into a table that
// exists, and a port's rules are replaced as a whole.
type fakeFilter struct {
	mu     sync.Mutex
	tables map[string]map[string][]string // table → port → rules, as text
}

func newFakeFilter() *fakeFilter {
	return &fakeFilter{tables: make(map[string]map[string][]string)}
}

func (f *fakeFilter) Setup(table string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tables[table] == nil {
		f.tables[table] = make(map[string][]string)
	}
	return nil
}

func (f *fakeFilter) SetPort(table, port string, rules []portRule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ports, ok := f.tables[table]
	if !ok {
		return fmt.Errorf("fake nf_tables: no table %s", table)
	}
	text := make([]string, len(rules))
	for i, r := range rules {
		text[i] = r.String()
	}
	ports[port] = text
	return nil
}

func (f *fakeFilter) RemovePort(table, port string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tables[table], port)
	return nil
}

func (f *fakeFilter) Ports(table string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.tables[table])), nil
}

func (f *fakeFilter) Teardown(table string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tables, table)
	return nil
}

// state returns a copy of every table.
func (f *fakeFilter) state() map[string]map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]map[string][]string, len(f.tables))
	for t, ports := range f.tables {
		m[t] = maps.Clone(ports)
	}
	return m
}
