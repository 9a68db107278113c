package netplumb

import "syscall"

// errUnsupported is what nf_tables answers for a family or an expression the
// kernel lacks.
var errUnsupported error = syscall.EOPNOTSUPP
