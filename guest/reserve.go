package guest

import (
	"errors"
	"syscall"

	"vmhost/config"
	"vmhost/reserve"
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
	if why := reserve.Below(sp, rp.StorageReserve()); why != "" {
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
