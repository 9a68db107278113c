package netplumb

import (
	"errors"

	"github.com/vishvananda/netlink"
)

// dumpTries bounds how often a netlink dump is asked for again.
const dumpTries = 10

// dump returns what list returns, asking again while the kernel reports
// that a change on the host (another daemon's guest, a test's link)
// interrupted the dump, whose results would then be incomplete.
func dump[T any](list func() ([]T, error)) ([]T, error) {
	var (
		out []T
		err error
	)
	for range dumpTries {
		out, err = list()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return out, err
}
