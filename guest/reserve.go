package guest

import (
	"errors"
	"fmt"
	"syscall"

	"vmhost/config"
)

// ErrHostDiskFull is wrapped by the error of making a new guest while
// data_dir's file system is below the daemon's reserve, or full. Its
// message is for the user: it names no host path.
var ErrHostDiskFull = errors.New("the host is short of disk space: no new guest can be made until the admin frees some; guests that exist keep working")

// ReservePolicy is what a Policy may also say: how much of data_dir's file
// system the daemon keeps for its own state. *config.Config implements it;
// a Policy without it keeps no reserve.
type ReservePolicy interface {
	// StorageReserve is the free space and inodes kept.
	StorageReserve() config.Storage
}

// Space is what a file system has free, as statfs tells.
type Space struct {
	// FreeBytes is the space an unprivileged writer may still take.
	FreeBytes uint64
	// FreeInodes and Inodes are the free and total inodes; both are zero
	// on a file system without a fixed number of them.
	FreeInodes, Inodes uint64
}

// belowReserve describes how sp falls below the reserve r, or is "" when
// it does not.
func belowReserve(sp Space, r config.Storage) string {
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

// checkReserve refuses a new guest while data_dir's file system is below
// the reserve of the policy, so that the daemon's own state (the guests
// that exist, their guest.json) keeps the room it needs. A file system it
// cannot ask is logged and not refused. Called with m.mu held.
func (m *Manager) checkReserve() error {
	rp, ok := m.opts.Policy.(ReservePolicy)
	if !ok {
		return nil
	}
	sp, err := m.opts.statfs(m.opts.DataDir)
	if err != nil {
		m.log.Warn("reading the free space of data_dir", "err", err)
		return nil
	}
	if why := belowReserve(sp, rp.StorageReserve()); why != "" {
		m.log.Warn("refusing a new guest: data_dir is nearly full", "data_dir", m.opts.DataDir, "why", why)
		return ErrHostDiskFull
	}
	return nil
}

// diskFull returns ErrHostDiskFull for an error of making the new guest id
// that says the disk is full, logging the error itself, whose paths are
// the host's; other errors are returned as they are.
func (m *Manager) diskFull(id string, err error) error {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return err
	}
	m.log.Error("making a new guest: data_dir is full", "guest", id, "err", err)
	return ErrHostDiskFull
}
