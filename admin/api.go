package admin

import (
	"time"

	"vmhost/config"
)

// Guest is a guest as the API shows it.
type Guest struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
	Name  string `json:"name"`
	Image string `json:"image"`
	// State is stopped, starting, running, stopping or broken.
	State string `json:"state"`
	// Error is why a broken guest is broken.
	Error   string `json:"error,omitempty"`
	Address string `json:"address,omitempty"`
	Pid     int    `json:"pid,omitempty"`
	// Started is when the running guest's init started.
	Started time.Time `json:"started,omitzero"`
	// UptimeSeconds is how long the running guest has run.
	UptimeSeconds int64 `json:"uptime_seconds,omitempty"`
	// MemoryBytes is the memory the running guest uses, when known.
	MemoryBytes int64     `json:"memory_bytes,omitempty"`
	Sessions    int       `json:"sessions"`
	Created     time.Time `json:"created"`
	Rootfs      string    `json:"rootfs,omitempty"`
	// Autostart is whether the guest starts when the daemon starts: its own
	// setting when AutostartOwn, else its owner's from the configuration.
	Autostart    bool `json:"autostart"`
	AutostartOwn bool `json:"autostart_own"`
}

// AutostartChange sets a guest's own autostart; a null Autostart goes back
// to its owner's.
type AutostartChange struct {
	Autostart *bool `json:"autostart"`
}

// GuestStats are what one guest uses now.
type GuestStats struct {
	ID          string  `json:"id"`
	State       string  `json:"state"`
	MemoryBytes int64   `json:"memory_bytes"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	Processes   int64   `json:"processes"`
	NetRxBytes  uint64  `json:"net_rx_bytes"`
	NetTxBytes  uint64  `json:"net_tx_bytes"`
	// DiskBytes and DiskLimitBytes are what the guest's own files take and
	// may take on its own disk, Inodes and InodesLimit their inodes; the
	// limits are zero for a guest without a disk of its own.
	DiskBytes      int64 `json:"disk_bytes"`
	DiskLimitBytes int64 `json:"disk_limit_bytes"`
	Inodes         int64 `json:"inodes"`
	InodesLimit    int64 `json:"inodes_limit"`
}

// Limits are a change of a guest's own limits: zero fields are left as they
// are; fields the guest never set come from its owner's limits.
type Limits struct {
	MemoryBytes int64   `json:"memory_bytes,omitempty"`
	CPUs        float64 `json:"cpus,omitempty"`
	Pids        int64   `json:"pids,omitempty"`
	// DiskBytes is the most its own files may take; a disk grows, never
	// shrinks.
	DiskBytes int64 `json:"disk_bytes,omitempty"`
	// Inodes is the most inodes its own files may take, counted when its
	// disk is made.
	Inodes int64 `json:"inodes,omitempty"`
	// Reset drops the guest's own limits: it gets its owner's again.
	Reset bool `json:"reset,omitempty"`
}

// config returns l as config.Limits.
func (l Limits) config() config.Limits {
	return config.Limits{Memory: config.Size(l.MemoryBytes), CPUs: l.CPUs, Pids: l.Pids,
		Disk: config.Size(l.DiskBytes), Inodes: l.Inodes}
}

// Image is a built image.
type Image struct {
	Name   string    `json:"name"`
	Build  string    `json:"build,omitempty"`
	Source string    `json:"source"`
	Built  time.Time `json:"built"`
	Rootfs string    `json:"rootfs"`
	// Guests are the guests made from the image.
	Guests []string `json:"guests"`
}

// User is a user of the configuration.
type User struct {
	Name      string   `json:"name"`
	Image     string   `json:"image"`
	MaxGuests int      `json:"max_guests"`
	Keys      int      `json:"keys"`
	KeysFile  string   `json:"authorized_keys_file,omitempty"`
	Limits    Limits   `json:"limits"`
	Autostart bool     `json:"autostart"`
	IdleStop  string   `json:"idle_stop,omitempty"`
	Guests    []string `json:"guests"`
}

// Reloaded is the answer to a reload.
type Reloaded struct {
	Config string `json:"config"`
	// Restart lists the settings that changed but take effect only when the
	// daemon restarts.
	Restart []string `json:"restart,omitempty"`
}

// ExecRequest starts a process in a guest.
type ExecRequest struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env,omitempty"`
	Dir  string   `json:"dir,omitempty"`
	// TTY gives the process a terminal of Rows and Cols, of type Term.
	TTY  bool   `json:"tty,omitempty"`
	Term string `json:"term,omitempty"`
	Rows uint16 `json:"rows,omitempty"`
	Cols uint16 `json:"cols,omitempty"`
}

// ExitStatus is how an exec'ed process ended.
type ExitStatus struct {
	Code   int `json:"code"`
	Signal int `json:"signal,omitempty"`
}

// BuildEvent is one line of an image build's answer: progress, then the
// image or an error.
type BuildEvent struct {
	Progress string `json:"progress,omitempty"`
	Image    *Image `json:"image,omitempty"`
	Error    string `json:"error,omitempty"`
}

// errorBody is the body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}
