//go:build !linux

package syscallfilter

import (
	"errors"
	"fmt"
)

// InstallThread fails: seccomp exists only on Linux.
func InstallThread() error {
	return fmt.Errorf("installing the guest seccomp filter: %w", errors.ErrUnsupported)
}
