package netplumb

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// fakeTables is an in-memory [Tables] that behaves like iptables where the
// firewall relies on it: built-in chains exist and cannot be deleted, a rule
// can only go into a chain that exists, and a chain cannot be deleted while a
// rule jumps to it.
type fakeTables struct {
	mu     sync.Mutex
	chains map[string][][]string // "table/chain" → rules
}

// builtin are the built-in chains of the tables the firewall uses.
var builtin = []string{
	"filter/INPUT", "filter/FORWARD", "filter/OUTPUT",
	"nat/PREROUTING", "nat/INPUT", "nat/OUTPUT", "nat/POSTROUTING",
}

func newFakeTables() *fakeTables {
	f := &fakeTables{chains: make(map[string][][]string)}
	for _, c := range builtin {
		f.chains[c] = [][]string{}
	}
	return f
}

func (f *fakeTables) Exists(table, chain string, rule ...string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.ContainsFunc(f.chains[table+"/"+chain], func(r []string) bool { return slices.Equal(r, rule) }), nil
}

func (f *fakeTables) Insert(table, chain string, pos int, rule ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	rules, ok := f.chains[table+"/"+chain]
	if !ok || pos < 1 || pos > len(rules)+1 {
		return fmt.Errorf("fake iptables: no chain %s/%s or no position %d", table, chain, pos)
	}
	f.chains[table+"/"+chain] = slices.Insert(rules, pos-1, slices.Clone(rule))
	return nil
}

func (f *fakeTables) Append(table, chain string, rule ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	rules, ok := f.chains[table+"/"+chain]
	if !ok {
		return fmt.Errorf("fake iptables: no chain %s/%s", table, chain)
	}
	f.chains[table+"/"+chain] = append(rules, slices.Clone(rule))
	return nil
}

func (f *fakeTables) Delete(table, chain string, rule ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	rules := f.chains[table+"/"+chain]
	i := slices.IndexFunc(rules, func(r []string) bool { return slices.Equal(r, rule) })
	if i < 0 {
		return fmt.Errorf("fake iptables: no rule %v in %s/%s", rule, table, chain)
	}
	f.chains[table+"/"+chain] = slices.Delete(rules, i, i+1)
	return nil
}

func (f *fakeTables) ClearChain(table, chain string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chains[table+"/"+chain] = [][]string{}
	return nil
}

func (f *fakeTables) ClearAndDeleteChain(table, chain string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := table + "/" + chain
	if _, ok := f.chains[key]; !ok {
		return nil
	}
	if slices.Contains(builtin, key) {
		return fmt.Errorf("fake iptables: cannot delete built-in chain %s", key)
	}
	for k, rules := range f.chains {
		for _, r := range rules {
			if len(r) >= 2 && r[len(r)-2] == "-j" && r[len(r)-1] == chain && strings.HasPrefix(k, table+"/") {
				return fmt.Errorf("fake iptables: chain %s is still referenced from %s", key, k)
			}
		}
	}
	delete(f.chains, key)
	return nil
}

// state returns a copy of every chain.
func (f *fakeTables) state() map[string][][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string][][]string, len(f.chains))
	for k, rules := range f.chains {
		m[k] = slices.Clone(rules)
	}
	return m
}
