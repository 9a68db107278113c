package main

import (
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"

	"vmhost/config"
	"vmhost/disks"
	"vmhost/guest"
)

// newStorage returns the store of guests' disks, in <data_dir>/disks. A
// configuration with disk limits on a host that cannot make disks stops the
// daemon, with what to install.
func newStorage(cfg *config.Config, log *slog.Logger) (guestStorage, error) {
	if key := diskLimitKey(cfg); key != "" {
		if err := disks.Check(); err != nil {
			return guestStorage{}, fmt.Errorf("%s sets a disk limit, but this host cannot give guests disks of their own: %w; install what is missing, or leave out disk and inodes", key, err)
		}
	}
	s, err := disks.New(filepath.Join(cfg.DataDir, "disks"), log)
	if err != nil {
		return guestStorage{}, err
	}
	return guestStorage{s}, nil
}

// diskLimitKey names the first limits: mapping of cfg that sets disk or
// inodes, or is empty.
func diskLimitKey(cfg *config.Config) string {
	if l := cfg.Defaults.Limits; l.Disk != 0 || l.Inodes != 0 {
		return "defaults.limits"
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Users)) {
		if l := cfg.Users[name].Limits; l.Disk != 0 || l.Inodes != 0 {
			return "users." + name + ".limits"
		}
	}
	return ""
}

// guestStorage adapts disks.Store to what guest.Manager needs.
type guestStorage struct{ s *disks.Store }

// diskLimits are the disk limits of config limits.
func diskLimits(l config.Limits) disks.Limits {
	return disks.Limits{Bytes: int64(l.Disk), Inodes: l.Inodes}
}

// Has implements guest.Storage.
func (g guestStorage) Has(id string) bool { return g.s.Has(id) }

// Attach implements guest.Storage.
func (g guestStorage) Attach(id string, l config.Limits) (string, error) {
	return g.s.Attach(id, diskLimits(l))
}

// Mounted implements guest.Storage.
func (g guestStorage) Mounted(id string) (string, bool) { return g.s.Mounted(id) }

// Detach implements guest.Storage.
func (g guestStorage) Detach(id string) error { return g.s.Detach(id) }

// Resize implements guest.Storage.
func (g guestStorage) Resize(id string, l config.Limits) error { return g.s.Resize(id, diskLimits(l)) }

// Remove implements guest.Storage.
func (g guestStorage) Remove(id string) error { return g.s.Remove(id) }

// Usage implements guest.Storage.
func (g guestStorage) Usage(id string) (guest.DiskUsage, error) {
	u, err := g.s.Usage(id)
	return guest.DiskUsage(u), err
}
