package main

import (
	"fmt"
	"log/slog"
	"os/exec"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/limits"
)

// cgroupParent is the parent cgroup of a daemon's guests, in every
// hierarchy: named after its bridge, which no two daemons on a host share.
func cgroupParent(cfg *config.Config) string {
	return "vmhost-" + cfg.Network.Bridge
}

// newCgroups returns the cgroups of the daemon's guests.
func newCgroups(cfg *config.Config, log *slog.Logger) (guestCgroups, error) {
	c, err := limits.New(cgroupParent(cfg))
	if err != nil {
		return guestCgroups{}, fmt.Errorf("limiting guests: %w", err)
	}
	log.Info("guests get their limits in cgroups", "parent", c.Parent())
	return guestCgroups{c}, nil
}

// removeParent removes the daemon's parent cgroup when it stops with no
// guest running, so that nothing of it is left on the host.
func (g guestCgroups) removeParent(log *slog.Logger) {
	if err := g.c.RemoveParent(); err != nil {
		log.Warn("leaving the parent cgroup", "err", err)
	}
}

// guestCgroups adapts limits.Controller to what guest.Manager needs.
type guestCgroups struct{ c *limits.Controller }

// Create implements guest.Cgroups.
func (g guestCgroups) Create(id string, l config.Limits) (guest.Cgroup, error) {
	grp, err := g.c.Create(id, limits.SpecFrom(l))
	if err != nil {
		return nil, err
	}
	return guestCgroup{grp}, nil
}

// Open implements guest.Cgroups.
func (g guestCgroups) Open(id string) (guest.Cgroup, error) {
	grp, err := g.c.Open(id)
	if err != nil {
		return nil, err
	}
	return guestCgroup{grp}, nil
}

// guestCgroup adapts limits.Group to guest.Cgroup.
type guestCgroup struct{ g *limits.Group }

// Start implements guest.Cgroup.
func (c guestCgroup) Start(cmd *exec.Cmd) error { return c.g.Start(cmd) }

// Update implements guest.Cgroup.
func (c guestCgroup) Update(l config.Limits) error { return c.g.Update(limits.SpecFrom(l)) }

// Delete implements guest.Cgroup.
func (c guestCgroup) Delete() error { return c.g.Delete() }

// Procs implements guest.Cgroup.
func (c guestCgroup) Procs() ([]int, error) { return c.g.Procs() }

// Stats implements guest.Cgroup.
func (c guestCgroup) Stats() (guest.Stats, error) {
	st, err := c.g.Stats()
	if err != nil {
		return guest.Stats{}, err
	}
	return guest.Stats{MemoryBytes: st.MemoryBytes, CPU: st.CPU, Processes: st.Processes}, nil
}

// List implements guest.CgroupLister.
func (g guestCgroups) List() ([]string, error) { return g.c.List() }

// CPUs implements guest.CPULister.
func (g guestCgroups) CPUs() ([]int, error) { return g.c.CPUs() }

// Pin implements guest.CPUPinner.
func (c guestCgroup) Pin(cpus []int) error { return c.g.Pin(cpus) }

// Pinned implements guest.CPUPinner.
func (c guestCgroup) Pinned() ([]int, error) { return c.g.Pinned() }
