package netplumb

import (
	"errors"
	"syscall"
)

// errUnsupported is what nf_tables answers for a family or an expression the
// kernel lacks.
var errUnsupported error = syscall.EOPNOTSUPP

// isNoEntry reports whether err says a table, chain or object is missing.
func isNoEntry(err error) bool { return errors.Is(err, syscall.ENOENT) }
