package disks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"vmhost/poll"
)

// tools are the programs of e2fsprogs a store runs.
var tools = []string{"mkfs.ext4", "dumpe2fs", "e2fsck", "resize2fs"}

// Check reports what this host lacks to give guests disks of their own:
// loop devices, ext4 and e2fsprogs.
func Check() error {
	var missing []string
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		missing = append(missing, "loop devices (/dev/loop-control; modprobe loop)")
	}
	if fss, err := os.ReadFile("/proc/filesystems"); err != nil || !strings.Contains(string(fss), "\text4\n") {
		missing = append(missing, "ext4 in the kernel (/proc/filesystems)")
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t+" (apt-get install e2fsprogs)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("guests' disk limits need %s", strings.Join(missing, ", "))
	}
	return nil
}

// Attach makes the disk of guest id with limits l unless it has one, mounts
// it unless it is mounted, grows it to l.Bytes if that is more than its
// limit, and returns the directory where it is mounted. A disk is made only
// with a limit of bytes. A smaller l.Bytes leaves the disk as it is (a disk
// does not shrink), and so does a failure to grow it: both are logged, and
// the guest starts.
func (s *Store) Attach(id string, l Limits) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	img, dir := s.Image(id), s.MountDir(id)
	if !s.Has(id) {
		if l.Bytes <= 0 {
			return "", fmt.Errorf("guest %s: %w, and no disk limit to make one", id, ErrNoDisk)
		}
		if err := makeImage(img, l); err != nil {
			return "", err
		}
		s.log.Info("made the disk of guest", "guest", id, "bytes", l.Bytes, "inodes", l.Inodes)
	}
	on, err := mounted(dir)
	if err != nil {
		return "", err
	}
	if on && s.growthPending(img, l.Bytes) && !canGrowOnline() {
		// Still mounted from a run the daemon did not see end: mounted
		// again, it grows on the way.
		if err := unmount(dir); err != nil {
			return "", err
		}
		on = false
	}
	if !on {
		if err := s.mount(id, l.Bytes); err != nil {
			return "", err
		}
	}
	if err := s.grow(id, l.Bytes, true); err != nil {
		s.log.Warn("keeping the disk of guest as it is", "guest", id, "err", err)
	}
	return dir, nil
}

// growthPending reports whether the disk in img is to grow to want bytes.
func (s *Store) growthPending(img string, want int64) bool {
	now, err := recordedLimit(img)
	return err == nil && want > now
}

// lingerWait and lingerPoll bound the wait for the loop device of a disk
// just unmounted to go away, and the most time between two looks: the
// kernel gives no event for it.
const (
	lingerWait = 2 * time.Second
	lingerPoll = 20 * time.Millisecond
)

// lingeringLoop returns the loop device img is still attached to, open, or
// nil: it waits a moment for one that is going away, and returns it if it
// stays, its file system still in use somewhere.
func lingeringLoop(img string) (*os.File, error) {
	var dev *os.File
	err := poll.Until(lingerWait, lingerPoll, func() (bool, error) {
		if dev != nil {
			dev.Close()
		}
		var err error
		dev, err = findLoop(img)
		return dev == nil, err
	})
	if errors.Is(err, poll.ErrTimeout) {
		return dev, nil
	}
	return dev, err
}

// mount mounts the disk of guest id, grown to want bytes first when no loop
// device holds it: a disk whose file system is still in use somewhere is
// mounted again from its loop device, never from a second one.
func (s *Store) mount(id string, want int64) error {
	img := s.Image(id)
	dev, err := lingeringLoop(img)
	if err != nil {
		return err
	}
	if dev == nil {
		if err := s.grow(id, want, false); err != nil {
			s.log.Warn("keeping the disk of guest as it is", "guest", id, "err", err)
		}
		if dev, err = attachLoop(img); err != nil {
			return err
		}
	}
	defer dev.Close()
	return mountDev(dev, s.MountDir(id))
}

// grow grows the disk of guest id to a limit of want bytes, if that is more
// than its limit now: online, while mounted, or offline, when on no loop
// device.
func (s *Store) grow(id string, want int64, online bool) error {
	img := s.Image(id)
	now, err := recordedLimit(img)
	if err != nil {
		return err
	}
	if grow, err := checkResize(now, want); err != nil || !grow {
		return err
	}
	if online {
		err = s.fitOnline(img, s.MountDir(id), want)
	} else {
		err = s.fitOffline(img, now, want)
	}
	if err != nil {
		return err
	}
	s.log.Info("grew the disk of guest", "guest", id, "from", now, "to", want, "online", online)
	return recordLimit(img, want)
}

// fitOnline grows the file system mounted at dir until its usable size is
// at least want bytes.
func (s *Store) fitOnline(img, dir string, want int64) error {
	for range maxFitSteps {
		u, err := usage(dir)
		if err != nil || u.LimitBytes >= want {
			return err
		}
		blocks, err := blocksOf(img)
		if err != nil {
			return err
		}
		if err := growOnline(img, dir, nextBlocks(blocks, u.LimitBytes, want)); err != nil {
			return err
		}
	}
	return fmt.Errorf("growing %s to %d bytes: still short after %d rounds", img, want, maxFitSteps)
}

// fitOffline grows the file system in img, whose limit is now bytes, by
// what want adds.
func (s *Store) fitOffline(img string, now, want int64) error {
	blocks, err := blocksOf(img)
	if err != nil {
		return err
	}
	return growOffline(img, nextBlocks(blocks, now, want))
}

// Resize gives the disk of guest id a limit of l.Bytes: at once if it is
// mounted and the daemon may grow it in use, else when it is mounted next.
// A smaller limit is refused, with advice: a disk does not shrink. A guest
// without a disk gets none.
func (s *Store) Resize(id string, l Limits) error {
	if !s.Has(id) {
		return nil
	}
	now, err := recordedLimit(s.Image(id))
	if err != nil {
		return err
	}
	if _, err := checkResize(now, l.Bytes); err != nil {
		return err
	}
	on, err := mounted(s.MountDir(id))
	if err != nil || !on {
		return err
	}
	if err := s.grow(id, l.Bytes, true); err != nil {
		s.log.Warn("growing the disk of guest later", "guest", id, "err", err)
	}
	return nil
}

// Usage returns what the files of guest id take and may take, from its
// mounted disk.
func (s *Store) Usage(id string) (Usage, error) {
	dir := s.MountDir(id)
	on, err := mounted(dir)
	if err != nil {
		return Usage{}, err
	}
	if !on {
		return Usage{}, fmt.Errorf("guest %s: %w mounted", id, ErrNoDisk)
	}
	return usage(dir)
}

// Detach unmounts the disk of guest id, once the guest has stopped; its
// loop device goes away with the last use of its file system.
func (s *Store) Detach(id string) error {
	dir := s.MountDir(id)
	on, err := mounted(dir)
	if err != nil || !on {
		return err
	}
	return unmount(dir)
}

// Remove unmounts the disk of guest id and deletes it with its files.
func (s *Store) Remove(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	dir := s.MountDir(id)
	if err := s.Detach(id); err != nil {
		return err
	}
	for _, p := range []string{s.Image(id), s.Image(id) + ".tmp", dir} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing the disk of guest %s: %w", id, err)
		}
	}
	return nil
}

// Mounted returns the directory where the disk of guest id is mounted, if
// it is.
func (s *Store) Mounted(id string) (string, bool) {
	if checkID(id) != nil {
		return "", false
	}
	dir := s.MountDir(id)
	on, err := mounted(dir)
	return dir, err == nil && on
}
