package netplumb

import (
	"errors"
	"fmt"

	"github.com/coreos/go-iptables/iptables"
)

// ipTables is the real [Tables]: the iptables binary through coreos/go-iptables,
// which waits for the xtables lock.
type ipTables struct {
	*iptables.IPTables
}

// newIPTables finds the iptables binary.
func newIPTables() (Tables, error) {
	ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv4), iptables.Timeout(30))
	if err != nil {
		return nil, fmt.Errorf("finding iptables: %w; install the iptables package", err)
	}
	return ipTables{ipt}, nil
}

// newIP6Tables finds the ip6tables binary.
func newIP6Tables() (Tables, error) {
	ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv6), iptables.Timeout(30))
	if err != nil {
		return nil, fmt.Errorf("finding ip6tables: %w; install the iptables package, which has it", err)
	}
	return ipTables{ipt}, nil
}

// Exists reports whether the rule is in chain; a rule that names a chain that
// does not exist is not there either.
func (t ipTables) Exists(table, chain string, rule ...string) (bool, error) {
	ok, err := t.IPTables.Exists(table, chain, rule...)
	var e *iptables.Error
	if errors.As(err, &e) && e.IsNotExist() {
		return false, nil
	}
	return ok, err
}
