package netplumb

import "fmt"

// Tables is the seam over iptables: the few operations the firewall needs, in
// the words of coreos/go-iptables, whose *iptables.IPTables implements it.
// Tests use an in-memory fake.
type Tables interface {
	// Exists reports whether chain of table holds the rule.
	Exists(table, chain string, rule ...string) (bool, error)
	// Insert puts the rule at position pos (1 is first) of chain.
	Insert(table, chain string, pos int, rule ...string) error
	// Append adds the rule at the end of chain.
	Append(table, chain string, rule ...string) error
	// Delete removes the first rule of chain equal to rule.
	Delete(table, chain string, rule ...string) error
	// ClearChain creates chain if it is missing and empties it.
	ClearChain(table, chain string) error
	// ClearAndDeleteChain empties and deletes chain; a missing chain is not
	// an error.
	ClearAndDeleteChain(table, chain string) error
}

// firewall keeps the daemon's rules in its own chains.
type firewall struct {
	t      Tables
	chains chains
}

// setup rebuilds the daemon's chains from base and makes sure each jump to
// them is in its built-in chain exactly once. Published ports are gone
// afterwards until their guests attach again. Running it again, as a restarted
// daemon does, leaves the same rules.
func (f *firewall) setup(base []rule) error {
	for _, c := range f.chains.own() {
		if err := f.t.ClearChain(c.Table, c.Chain); err != nil {
			return fmt.Errorf("creating chain %s of table %s: %w", c.Chain, c.Table, err)
		}
	}
	for _, r := range base {
		if err := f.t.Append(r.Table, r.Chain, r.Args...); err != nil {
			return fmt.Errorf("adding rule %v to %s: %w", r.Args, r.Chain, err)
		}
	}
	for _, j := range f.chains.jumps() {
		if err := f.ensure(j, true); err != nil {
			return err
		}
	}
	return nil
}

// ensure adds r if it is missing: first in its chain or last.
func (f *firewall) ensure(r rule, first bool) error {
	ok, err := f.t.Exists(r.Table, r.Chain, r.Args...)
	if err != nil {
		return fmt.Errorf("looking for rule %v in %s: %w", r.Args, r.Chain, err)
	}
	switch {
	case ok:
		return nil
	case first:
		err = f.t.Insert(r.Table, r.Chain, 1, r.Args...)
	default:
		err = f.t.Append(r.Table, r.Chain, r.Args...)
	}
	if err != nil {
		return fmt.Errorf("adding rule %v to %s: %w", r.Args, r.Chain, err)
	}
	return nil
}

// remove deletes every copy of r.
func (f *firewall) remove(r rule) error {
	for {
		ok, err := f.t.Exists(r.Table, r.Chain, r.Args...)
		if err != nil {
			return fmt.Errorf("looking for rule %v in %s: %w", r.Args, r.Chain, err)
		}
		if !ok {
			return nil
		}
		if err := f.t.Delete(r.Table, r.Chain, r.Args...); err != nil {
			return fmt.Errorf("deleting rule %v from %s: %w", r.Args, r.Chain, err)
		}
	}
}

// teardown removes the jumps and the daemon's chains. It is a no-op when they
// are already gone.
func (f *firewall) teardown() error {
	for _, j := range f.chains.jumps() {
		if err := f.remove(j); err != nil {
			return err
		}
	}
	for _, c := range f.chains.own() {
		if err := f.t.ClearAndDeleteChain(c.Table, c.Chain); err != nil {
			return fmt.Errorf("deleting chain %s of table %s: %w", c.Chain, c.Table, err)
		}
	}
	return nil
}
