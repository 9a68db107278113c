package guest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"vmhost/atomicfile"
	"vmhost/config"
)

// State is what the daemon keeps of a guest, in <data_dir>/guests/<id>/guest.json.
// The filesystem is the database: the file is written atomically, and on start
// the daemon reads them all.
type State struct {
	Owner string `json:"owner"`
	Name  string `json:"name"`
	Image string `json:"image"`
	// Rootfs is the root filesystem of the build of Image the guest was made
	// from, recorded at its first start: a new build of the image does not
	// change the guest's files. Reset clears it.
	Rootfs  string    `json:"rootfs,omitempty"`
	IDBase  uint32    `json:"id_base"`
	IDSize  uint32    `json:"id_size"`
	Created time.Time `json:"created"`
	// InitPid and InitStart identify the running init: its host pid and its
	// start time in clock ticks since boot (field 22 of /proc/PID/stat). Both
	// are zero when the guest is not running.
	InitPid   int    `json:"init_pid,omitempty"`
	InitStart uint64 `json:"init_start,omitempty"`
	// IP is the guest's address on the guest network, kept for the life of
	// the guest; zero before its first start or without a network.
	IP netip.Addr `json:"ip,omitzero"`
	// Limits are the guest's own resource limits, set by SetLimits; a field
	// left zero takes the owner's limits from the configuration.
	Limits *config.Limits `json:"limits,omitempty"`
	// Autostart is the guest's own autostart, set by SetAutostart: whether
	// it starts when the daemon starts. Nil takes the owner's from the
	// configuration.
	Autostart *bool `json:"autostart,omitempty"`
	// Stopping is set while a stop of the guest is under way: a daemon
	// killed before the stop is done finds it at its next start and
	// finishes the stop.
	Stopping bool `json:"stopping,omitempty"`
}

// stateFile is the name of a guest's state file in its directory.
const stateFile = "guest.json"

// ID is the guest's identifier: the login that reaches it ("alice" for alice's
// default guest, "alice+web" for her guest web).
func (s *State) ID() string { return GuestID(s.Owner, s.Name) }

// GuestID returns the identifier of owner's guest name.
func GuestID(owner, name string) string {
	if name == owner || name == "" {
		return owner
	}
	return owner + "+" + name
}

// writeState writes s to dir/guest.json atomically: a temporary file in the same
// directory, fsync, rename, fsync of the directory.
func writeState(dir string, s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state of guest %s: %w", s.ID(), err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, stateFile), append(data, '\n'), 0o600)
}

// readState reads dir/guest.json.
func readState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, stateFile), err)
	}
	if s.Owner == "" || s.Name == "" || s.IDBase == 0 || s.IDSize == 0 {
		return nil, fmt.Errorf("reading %s: owner, name or id range missing", filepath.Join(dir, stateFile))
	}
	return &s, nil
}
