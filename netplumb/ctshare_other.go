//go:build !linux

package netplumb

// defaultConnShares returns a [ConnShares] that has no nf_tables to use.
func defaultConnShares() ConnShares { return noConnShares{} }

// noConnShares refuses every change: only Linux has nf_tables.
type noConnShares struct{}

// Set implements ConnShares.
func (noConnShares) Set(string, connShare) error { return errUnsupported }

// Teardown implements ConnShares.
func (noConnShares) Teardown(string) error { return errUnsupported }
