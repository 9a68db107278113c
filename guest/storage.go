package guest

import (
	"fmt"
	"os"
	"path/filepath"

	"vmhost/config"
)

// Storage keeps guests' own files, the upper and work directories of their
// overlays, on disks of their own that the kernel holds to the guests' disk
// and inode limits. The daemon adapts *disks.Store to it.
type Storage interface {
	// Has reports whether guest id has a disk of its own.
	Has(id string) bool
	// Attach makes the disk of guest id with limits l unless it has one,
	// mounts it unless it is mounted, and returns the directory that holds
	// the guest's upper/ and work/.
	Attach(id string, l config.Limits) (string, error)
	// Detach unmounts the disk of guest id, once the guest has stopped.
	Detach(id string) error
	// Mounted returns the directory that holds the upper/ and work/ of
	// guest id while its disk is mounted.
	Mounted(id string) (string, bool)
	// Resize gives the disk of guest id the disk limit of l, at once when it
	// can and else at its next Attach; a smaller one is refused.
	Resize(id string, l config.Limits) error
	// Usage tells what the files of guest id take and may take on its
	// mounted disk.
	Usage(id string) (DiskUsage, error)
	// Remove deletes the disk of guest id with its files.
	Remove(id string) error
}

// DiskUsage is what a guest's own files take and may take; zero limits for
// a guest without a disk of its own.
type DiskUsage struct {
	Bytes       int64 `json:"bytes"`
	LimitBytes  int64 `json:"limit_bytes"`
	Inodes      int64 `json:"inodes"`
	LimitInodes int64 `json:"limit_inodes"`
}

// layersDir returns the directory that holds the upper/ and work/ of guest
// st, ready for its start: its own disk when it has one, or has a disk limit
// and no files yet; else its directory under data_dir, as before disks. A
// guest made before its disk limit keeps its files there, with no limit,
// until it is reset.
// A volume guest's are on its volume (see attachVolume).
func (m *Manager) layersDir(st *State) (string, error) {
	if vol := m.volumeOf(st); vol != "" {
		layers, err := m.attachVolume(st, vol)
		if err != nil {
			return "", fmt.Errorf("attaching the volume of guest %s: %w", st.ID(), err)
		}
		return layers, nil
	}
	dir := m.guestDir(st.ID())
	s := m.opts.Storage
	if s == nil {
		return dir, nil
	}
	l := m.limitsOf(st)
	if !s.Has(st.ID()) {
		if l.Disk == 0 {
			return dir, nil
		}
		if m.filesInDataDir(st.ID()) {
			m.log.Warn("guest keeps its files in data_dir with no disk limit, as it was made before one; reset it to give it a disk", "guest", st.ID())
			return dir, nil
		}
	}
	layers, err := s.Attach(st.ID(), l)
	if err != nil {
		return "", fmt.Errorf("attaching the disk of guest %s: %w", st.ID(), err)
	}
	return layers, nil
}

// filesInDataDir reports whether guest id has files of its own in its
// directory under data_dir, made before it had a disk limit.
func (m *Manager) filesInDataDir(id string) bool {
	_, err := os.Lstat(filepath.Join(m.guestDir(id), upperDir))
	return err == nil
}

// creatorFor is the id the root overlay of guest st, with its upper and
// work in layers, is made as: its root's on a volume, else the daemon's.
func (m *Manager) creatorFor(st *State, layers string) uint32 {
	if layers == m.volumeMount(st.ID()) {
		return st.IDBase
	}
	return 0
}

// detachDisk unmounts the disk or volume of a guest whose init has ended.
// A volume is unmounted whatever the policy says now: the guest may have
// left the node (unassigned) before it stopped.
func (m *Manager) detachDisk(st *State) {
	if mnt, ok := m.mountedVolume(st.ID()); ok {
		m.snapshotKeys(st, mnt)
		if _, err := m.detachVolume(st.ID()); err != nil {
			m.log.Error("unmounting the volume of guest", "guest", st.ID(), "err", err)
		}
	}
	if m.opts.Storage == nil {
		return
	}
	if dir, ok := m.opts.Storage.Mounted(st.ID()); ok {
		m.snapshotKeys(st, dir)
	}
	if err := m.opts.Storage.Detach(st.ID()); err != nil {
		m.log.Error("unmounting the disk of guest", "guest", st.ID(), "err", err)
	}
}

// removeDisk deletes the disk of guest id, stopped, with its files.
func (m *Manager) removeDisk(id string) error {
	if m.opts.Storage == nil {
		return nil
	}
	if err := m.opts.Storage.Remove(id); err != nil {
		return fmt.Errorf("removing the disk of guest %s: %w", id, err)
	}
	return nil
}

// resizeDisk gives the disk of guest st, if it has one, the disk limit of
// l. A failure is an error when the disk limit is the guest's own, and is
// only logged when it comes from the configuration (a reload that lowers
// it leaves the disks as they are).
func (m *Manager) resizeDisk(st *State, l config.Limits, own bool) error {
	if m.volumeOf(st) != "" {
		if own && l.Disk != 0 {
			return fmt.Errorf("guest %s keeps its files on a cluster volume, which is its disk: grow the volume's claim instead", st.ID())
		}
		return nil
	}
	if m.opts.Storage == nil {
		return nil
	}
	if own && !m.opts.Storage.Has(st.ID()) && m.filesInDataDir(st.ID()) {
		return fmt.Errorf("guest %s keeps its files in data_dir with no disk of its own, as it was made before it had a disk limit; reset it (vmhostd guest reset %s --yes, which drops its files), then set its disk limit",
			st.ID(), st.ID())
	}
	err := m.opts.Storage.Resize(st.ID(), l)
	switch {
	case err == nil:
	case own:
		return fmt.Errorf("changing the disk limit of guest %s: %w", st.ID(), err)
	default:
		m.log.Warn("keeping the disk of guest as it is", "guest", st.ID(), "err", err)
	}
	return nil
}

// diskUsage returns what the files of guest id take on its own disk or
// mounted volume; zero without one.
func (m *Manager) diskUsage(id string) DiskUsage {
	if mnt, ok := m.mountedVolume(id); ok {
		u, err := volumeUsage(mnt)
		if err != nil {
			m.log.Info("reading the use of the volume of guest", "guest", id, "err", err)
		}
		return u
	}
	if m.opts.Storage == nil || !m.opts.Storage.Has(id) {
		return DiskUsage{}
	}
	u, err := m.opts.Storage.Usage(id)
	if err != nil {
		m.log.Info("reading the disk use of guest", "guest", id, "err", err)
	}
	return u
}
