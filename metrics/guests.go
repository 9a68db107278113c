package metrics

import "time"

// Guest is what the metrics tell of one guest, as the daemon lists it.
type Guest struct {
	// ID is the guest as `vmhostd guest ls` shows it: alice, alice+web.
	ID    string
	Owner string
	// Class is the class whose student the owner is; "" for anyone else.
	Class string
	// State is stopped, starting, running, stopping or broken.
	State string
	// Running is set while the guest's init runs; the other fields below
	// are read only then.
	Running bool
	// Started is when the guest's init started.
	Started time.Time
	// CgroupDirs are the guest's cgroup directories (see ReadUsage).
	CgroupDirs map[string]string
	// Veth is the host end of the guest's veth pair; empty without one.
	Veth string
}

// Disk is what a guest's own files take and may take on its own disk.
type Disk struct {
	UsedBytes, LimitBytes int64
}

// Source lists the guests at scrape time. Its methods must not wait on a
// lock that a guest's start, a stop or a login holds for long.
type Source interface {
	// Guests lists every guest.
	Guests() []Guest
	// Disk returns the disk of guest id; ok is false for a guest without
	// one of its own.
	Disk(id string) (d Disk, ok bool)
}
