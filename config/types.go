// Package config loads and validates the vmhostd configuration file: a strict
// YAML document whose keys are the contract in the project's DESIGN.md. An
// unknown key, a wrong type or a bad value is an error that names the file, the
// line and the key.
package config

// Config is the whole configuration of one vmhostd daemon.
type Config struct {
	// Path is the file the configuration was loaded from, made absolute.
	Path     string           `yaml:"-"`
	Listen   string           `yaml:"listen"`
	DataDir  string           `yaml:"data_dir"`
	RunDir   string           `yaml:"run_dir"`
	Network  Network          `yaml:"network"`
	Images   map[string]Image `yaml:"images"`
	Defaults Defaults         `yaml:"defaults"`
	Users    map[string]User  `yaml:"users"`
	SSH      SSH              `yaml:"ssh"`
	Storage  Storage          `yaml:"storage"`
	Guests   Guests           `yaml:"guests"`
	Metrics  Metrics          `yaml:"metrics"`
	// AuditLog, when set, is a file that receives the audit log as JSON
	// lines besides the daemon's log; reopened on SIGHUP.
	AuditLog string `yaml:"audit_log"`
	// Classes are teaching labs: students, teachers and hosts per class.
	Classes map[string]Class `yaml:"classes"`
	// Web is the browser terminal; off unless web.listen is set.
	Web Web `yaml:"web"`
	// Cluster is the agent role on a node of a cluster; off unless
	// cluster.listen is set.
	Cluster Cluster `yaml:"cluster"`
}

// Network is the guest network: one bridge, one subnet, NAT and published ports.
type Network struct {
	Bridge string `yaml:"bridge"`
	Subnet string `yaml:"subnet"`
	NAT    *bool  `yaml:"nat"`
	// Subnet6 is the guests' IPv6 /64, "none" for no IPv6; left out, a ULA
	// prefix derived from bridge and subnet (see DefaultSubnet6).
	Subnet6 string `yaml:"subnet6"`
	// NAT6 masquerades Subnet6 (NAT66); false routes it.
	NAT6     *bool     `yaml:"nat6"`
	Isolate  *bool     `yaml:"isolate"`
	Forwards []Forward `yaml:"forwards"`
	// AdoptBridge lets vmhost take over a bridge of that name that it did
	// not make.
	AdoptBridge bool `yaml:"adopt_bridge"`
	// Bounds bound what one guest's address may make the daemon hold.
	Bounds GuestBounds `yaml:"bounds"`
}

// Forward publishes a host port to a port of a guest.
type Forward struct {
	HostPort  int    `yaml:"host_port"`
	Guest     string `yaml:"guest"`
	GuestPort int    `yaml:"guest_port"`
	Proto     string `yaml:"proto"`
}

// Image says where an image's root filesystem comes from.
type Image struct {
	// Source is one of "busybox", "debootstrap" or "tar".
	Source  string   `yaml:"source"`
	Suite   string   `yaml:"suite"`
	Mirror  string   `yaml:"mirror"`
	Variant string   `yaml:"variant"`
	Include []string `yaml:"include"`
	Path    string   `yaml:"path"`
}

// Image sources.
const (
	// SourceBusybox builds a tiny image from the host's busybox-static.
	SourceBusybox = "busybox"
	// SourceDebootstrap builds a Debian image with debootstrap.
	SourceDebootstrap = "debootstrap"
	// SourceTar unpacks a root filesystem tarball.
	SourceTar = "tar"
)

// Defaults apply to every user unless the user overrides them.
type Defaults struct {
	Image     string `yaml:"image"`
	MaxGuests int    `yaml:"max_guests"`
	Limits    Limits `yaml:"limits"`
	// Autostart starts every guest when the daemon starts (after a reboot).
	Autostart bool `yaml:"autostart"`
	// IdleStop stops a guest with no SSH session and no process but its
	// init for that long, its files kept; 0 never does.
	IdleStop Duration `yaml:"idle_stop"`
	// Reattach keeps terminal sessions across dropped connections, to be
	// reattached by the next interactive login; nil (unset) is true.
	Reattach *bool `yaml:"reattach"`
	// Record records every terminal session as an asciicast v2 file
	// under data_dir/recordings; RecordInput records what is typed too;
	// RecordFail is open (a session that cannot be recorded goes on) or
	// closed (it is refused).
	Record      bool   `yaml:"record"`
	RecordInput bool   `yaml:"record_input"`
	RecordFail  string `yaml:"record_fail"`
}

// Limits are the resource limits of one guest. Zero values mean "not set".
type Limits struct {
	// Memory in bytes, written in the file as a size such as 512MiB.
	Memory Size `yaml:"memory" json:"memory,omitempty"`
	// Swap is the ceiling of memory plus swap, as Docker's --memory-swap:
	// equal to Memory means no swap. Unset, a guest with a memory limit may
	// use as much swap as memory (twice Memory in all), as in Docker.
	Swap Size `yaml:"swap" json:"swap,omitempty"`
	// CPUs is a fraction of host cores, such as 1.5.
	CPUs float64 `yaml:"cpus" json:"cpus,omitempty"`
	// CPUWeight is the guest's share of CPU time against other guests when
	// the host is busy, from 1 to 10000 (cgroup2's cpu.weight; the default
	// is 100).
	CPUWeight int `yaml:"cpu_weight" json:"cpu_weight,omitempty"`
	// Pids is the maximum number of processes.
	Pids int64 `yaml:"pids" json:"pids,omitempty"`
	// IOWeight is the guest's share of block I/O against other guests, from
	// 1 to 10000 (cgroup2's io.weight; the default is 100).
	IOWeight int `yaml:"io_weight" json:"io_weight,omitempty"`
	// Disk is the bytes the guest's own files may take (its overlay's upper
	// layer), written as a size such as 10GiB.
	Disk Size `yaml:"disk" json:"disk,omitempty"`
	// Inodes is how many files, directories and links the guest's own files
	// may count.
	Inodes int64 `yaml:"inodes" json:"inodes,omitempty"`
}

// Size is a number of bytes, written in the file as "512MiB", "1GiB", "100M" or
// a plain number of bytes.
type Size int64

// User is one user allowed to log in, with their keys and overrides.
type User struct {
	Keys               []string `yaml:"keys"`
	AuthorizedKeysFile string   `yaml:"authorized_keys_file"`
	Image              string   `yaml:"image"`
	MaxGuests          int      `yaml:"max_guests"`
	Limits             Limits   `yaml:"limits"`
	// Autostart and IdleStop override those of Defaults when set.
	Autostart *bool     `yaml:"autostart"`
	IdleStop  *Duration `yaml:"idle_stop"`
	// Reattach, Record, RecordInput and RecordFail override those of
	// Defaults when set.
	Reattach    *bool  `yaml:"reattach"`
	Record      *bool  `yaml:"record"`
	RecordInput *bool  `yaml:"record_input"`
	RecordFail  string `yaml:"record_fail"`
}
