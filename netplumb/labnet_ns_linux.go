package netplumb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// errNoLabNetns says the segments' namespace is not made yet.
var errNoLabNetns = errors.New("no lab network namespace")

// openNetns opens the segments' namespace, making it first when create is
// set and it is missing.
func (l *LabNet) openNetns(create bool) (netns.NsHandle, error) {
	ns, err := openNetnsFile(l.nsPath())
	if err == nil || !errors.Is(err, errNoLabNetns) || !create {
		return ns, err
	}
	if err := l.makeNetns(); err != nil {
		return netns.None(), fmt.Errorf("making the lab network namespace at %s: %w", l.nsPath(), err)
	}
	return openNetnsFile(l.nsPath())
}

// openNetnsFile opens the network namespace mounted at path; a missing file,
// or one where no namespace is mounted, is errNoLabNetns.
func openNetnsFile(path string) (netns.NsHandle, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if errors.Is(err, unix.ENOENT) {
		return netns.None(), errNoLabNetns
	} else if err != nil {
		return netns.None(), fmt.Errorf("opening %s: %w", path, err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil || st.Type != unix.NSFS_MAGIC {
		unix.Close(fd)
		return netns.None(), errNoLabNetns
	}
	return netns.NsHandle(fd), nil
}

// makeNetns makes the directory a shared mount point of its own (so that
// unmounting the namespace reaches every mount namespace that copied it
// since) and a new network namespace mounted on its file ns.
// Equivalent to: mount --bind DIR DIR; mount --make-shared DIR; touch
// DIR/ns; unshare -n mount --bind /proc/self/ns/net DIR/ns
func (l *LabNet) makeNetns() error {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return err
	}
	if err := makeSharedMount(l.dir); err != nil {
		return err
	}
	f, err := os.OpenFile(l.nsPath(), os.O_CREATE|os.O_RDONLY|unix.O_NOFOLLOW, 0o400)
	if err != nil {
		return err
	}
	f.Close()
	return inNewNetns(func() error {
		if err := unix.Mount("/proc/thread-self/ns/net", l.nsPath(), "none", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("mounting the namespace: %w", err)
		}
		if err := quietLabSysctls(); err != nil {
			unix.Unmount(l.nsPath(), unix.MNT_DETACH)
			return err
		}
		return nil
	})
}

// makeSharedMount makes dir a mount point with shared propagation, binding
// it onto itself first if it is none.
// Equivalent to: mount --make-shared DIR || (mount --bind DIR DIR && mount
// --make-shared DIR)
func makeSharedMount(dir string) error {
	err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) {
		if err = unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
			err = unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
		}
	}
	if err != nil {
		return fmt.Errorf("making %s a shared mount: %w", dir, err)
	}
	return nil
}

// inNewNetns runs fn on a thread moved into a new network namespace, then
// moves the thread back. A thread that cannot go back stays locked and dies
// with its goroutine.
func inNewNetns(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("opening the daemon's network namespace: %w", err)
			return
		}
		defer orig.Close()
		// Equivalent to: unshare -n
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("making a network namespace: %w", err)
			return
		}
		err = fn()
		if serr := netns.Set(orig); serr != nil {
			errc <- errors.Join(err, fmt.Errorf("returning to the daemon's network namespace: %w", serr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// quietLabSysctls turns off, in the calling thread's network namespace,
// IPv6 on every link (no address, no router solicitation from the bridge)
// and the passing of bridged frames to that namespace's own, empty,
// netfilter hooks. Settings the kernel lacks are skipped.
// Equivalent to: sysctl -w net.ipv6.conf.all.disable_ipv6=1
// net.ipv6.conf.default.disable_ipv6=1 net.bridge.bridge-nf-call-iptables=0
// net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0
func quietLabSysctls() error {
	for key, value := range map[string]string{
		"ipv6/conf/all/disable_ipv6":      "1",
		"ipv6/conf/default/disable_ipv6":  "1",
		"bridge/bridge-nf-call-iptables":  "0",
		"bridge/bridge-nf-call-ip6tables": "0",
		"bridge/bridge-nf-call-arptables": "0",
	} {
		if err := setSysctl(key, value); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Teardown removes the segments: it unmounts their namespace, whose bridges
// and veths go with it (and with them every guest's interfaces on a
// segment), and the directory's own mount, and removes the directory. It is
// a no-op when nothing is there.
// Equivalent to: umount -l DIR/ns; rm DIR/ns; umount -l DIR; rmdir DIR
func (l *LabNet) Teardown() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.teardown()
}

func (l *LabNet) teardown() error {
	var errs []error
	for _, p := range []string{l.nsPath(), l.dir} {
		for {
			err := unix.Unmount(p, unix.MNT_DETACH)
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				break
			} else if err != nil {
				errs = append(errs, fmt.Errorf("unmounting %s: %w", p, err))
				break
			}
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing the lab segments: %w", err)
	}
	return nil
}
