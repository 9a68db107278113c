package view

import "strings"

// StatServerName is the argv[0] under which vmhostd runs as the view
// server of /proc/stat (package view/procstat), a hidden role.
const StatServerName = "vmhost-viewstat"

// Kind is one view server the daemon runs: what it is called, the files it
// serves and how it is started.
type Kind struct {
	name   string   // its mount point <dir>/<name>, its pid file <name>.pid
	served string   // the file that names the server every running guest has
	probe  string   // a file its live mount has
	files  []string // guest paths it serves, each one of protocol.ViewFiles
	argv0  string   // its argv[0]; "" for its binary's
	args   func(mnt, pid string) []string
	// perGuest says the server has its files under a directory per guest
	// id (GUEST/proc/stat), not at its root.
	perGuest bool
}

// Name is the server's name, in logs and in its directory.
func (k Kind) Name() string { return k.name }

// LXCFS is Debian's lxcfs: every view file but /proc/stat.
var LXCFS = Kind{
	name: "lxcfs", served: "served.pid", probe: "proc/meminfo", args: lxcfsArgs,
	files: []string{"/proc/cpuinfo", "/proc/diskstats", "/proc/loadavg", "/proc/meminfo", "/proc/swaps", "/sys/devices/system/cpu/online"},
}

// StatKind is vmhost's own server of /proc/stat, the daemon's binary under
// StatServerName, for the guests whose cgroups are below parent.
func StatKind(parent string) Kind {
	return Kind{
		name: "stat", served: "stat-served.pid", probe: "proc/stat", argv0: StatServerName,
		files: []string{"/proc/stat"}, perGuest: true,
		args: func(mnt, pid string) []string {
			return []string{"--parent", parent, "--pidfile", pid, mnt}
		},
	}
}

// probeRel is the probe file relative to the mount point: under the
// directory of a guest "probe" for a server per guest.
func (k Kind) probeRel() string { return k.filesDir("probe") + strings.TrimPrefix(k.probe, "/") }

// filesDir is where the files of the guest id are, relative to the mount
// point, with a trailing slash: "" for a server of every guest.
func (k Kind) filesDir(id string) string {
	if !k.perGuest {
		return ""
	}
	return id + "/"
}
