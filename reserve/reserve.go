// Package reserve tells whether a file system still has the free space and
// inodes that the daemon keeps for its own state (storage.reserve and
// storage.reserve_inodes): below either, it makes no new guest and builds
// no image, so that the guests that exist keep room to be written down.
package reserve

import (
	"errors"
	"fmt"

	"vmhost/config"
)

// ErrShort is wrapped by Check's error for a file system below the reserve.
var ErrShort = errors.New("below the reserve kept for the daemon's own state")

// Space is what a file system has free.
type Space struct {
	// FreeBytes is the space an unprivileged writer may still take.
	FreeBytes uint64
	// FreeInodes and Inodes are the free and total inodes; both are zero
	// on a file system without a fixed number of them.
	FreeInodes, Inodes uint64
}

// Below describes how sp falls below the reserve r, or is "" when it does
// not.
func Below(sp Space, r config.Storage) string {
	if want := uint64(r.Reserve); sp.FreeBytes < want {
		return fmt.Sprintf("%d bytes free, below the reserve of %s (storage.reserve)", sp.FreeBytes, r.Reserve)
	}
	if sp.Inodes == 0 {
		return ""
	}
	if want := r.ReserveInodes.Of(sp.Inodes); sp.FreeInodes < want {
		return fmt.Sprintf("%d inodes free, below the reserve of %d (storage.reserve_inodes %s)", sp.FreeInodes, want, r.ReserveInodes)
	}
	return ""
}

// Check returns an error wrapping ErrShort when the file system of path is
// below the reserve r, saying by how much. A file system it cannot ask is
// not refused: the error of a write will tell.
func Check(path string, r config.Storage) error {
	sp, err := Statfs(path)
	if err != nil {
		return nil
	}
	if why := Below(sp, r); why != "" {
		return fmt.Errorf("the file system of %s is nearly full: %s: %w", path, why, ErrShort)
	}
	return nil
}
