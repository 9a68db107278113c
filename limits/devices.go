package limits

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// deviceRule is a device, or a range of them, a guest may use.
type deviceRule struct {
	name       string // the node the guest has, for people
	typ        string // "c" for char devices
	major      int64
	lastMajor  int64 // major to lastMajor, both in; 0 for major alone
	minor      int64 // anyMinor for every minor
	permission string
}

// anyMinor is the minor of a rule that takes every minor of its majors.
const anyMinor = -1

// guestAccess is what a guest may do with the devices of guestDevices: read
// and write them, and make nodes of them (which a guest cannot, being in a
// user namespace, but which hides nothing).
const guestAccess = "rwm"

// guestDevices is the device allow list of every guest: the devices the
// init gives it (binds of the host's null, zero, full, random, urandom and
// tty, and a devpts of its own). A guest's processes may open no other
// device and make no other device node, whatever node they find in their
// image: the kernel refuses them with EPERM, through the devices controller
// on cgroup1 and a BPF_CGROUP_DEVICE program on cgroup2.
var guestDevices = []deviceRule{
	{name: "/dev/null", typ: "c", major: 1, minor: 3, permission: guestAccess},
	{name: "/dev/zero", typ: "c", major: 1, minor: 5, permission: guestAccess},
	{name: "/dev/full", typ: "c", major: 1, minor: 7, permission: guestAccess},
	{name: "/dev/random", typ: "c", major: 1, minor: 8, permission: guestAccess},
	{name: "/dev/urandom", typ: "c", major: 1, minor: 9, permission: guestAccess},
	{name: "/dev/tty", typ: "c", major: 5, minor: 0, permission: guestAccess},
	{name: "/dev/ptmx", typ: "c", major: 5, minor: 2, permission: guestAccess},
	{name: "/dev/pts/*", typ: "c", major: 136, lastMajor: 143, minor: anyMinor, permission: guestAccess},
}

// deviceCgroupRules is the device rules of a guest's group, as containerd
// takes them for either cgroup version: every device refused, then the
// devices of guestDevices allowed, one major at a time.
func deviceCgroupRules() []specs.LinuxDeviceCgroup {
	rules := []specs.LinuxDeviceCgroup{{Allow: false, Type: "a", Major: ptr(int64(-1)), Minor: ptr(int64(-1)), Access: "rwm"}}
	for _, d := range guestDevices {
		for major := d.major; major <= max(d.major, d.lastMajor); major++ {
			rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: d.typ, Major: ptr(major), Minor: ptr(d.minor), Access: d.permission})
		}
	}
	return rules
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }
