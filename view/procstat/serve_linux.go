package procstat

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"vmhost/atomicfile"
	"vmhost/limits"
)

// FSType is the file system type of the mount, as mountinfo shows it.
const FSType = "fuse.vmhost-stat"

// entryTimeout is how long the kernel keeps the tree's names: they never
// change. Attributes it keeps for no time: the size of proc/stat is the
// length of its content for the caller, which sendfile reads up to.
const entryTimeout = time.Hour

// Options configure a mount of the file system.
type Options struct {
	// Mountpoint is where it is mounted, read-only.
	Mountpoint string
	// CgroupRoot is where the host's cgroup hierarchies are mounted, and
	// V1 says whether they are cgroup1's (a legacy or hybrid host).
	CgroupRoot string
	V1         bool
	// Parent is the daemon's cgroup parent (/vmhost-vmhost0): each guest's
	// group is right below it.
	Parent string
	Log    *slog.Logger
}

// Mount mounts the file system, read-only, nosuid, nodev and noexec, and
// serves it until it is unmounted (the returned server's Wait returns).
// Equivalent to: mount -t fuse.vmhost-stat -o ro,nosuid,nodev,noexec,allow_other,default_permissions vmhost-view MNT
func Mount(o Options) (*fuse.Server, error) {
	fsys := &statFS{src: newSource(o.CgroupRoot, o.V1, o.Parent), log: o.Log, open: make(map[string]int)}
	root := &rootNode{fsys: fsys}
	timeout, none := entryTimeout, time.Duration(0)
	opts := &fs.Options{
		EntryTimeout: &timeout, AttrTimeout: &none, NegativeTimeout: &none,
		MountOptions: fuse.MountOptions{
			AllowOther: true, FsName: "vmhost-view", Name: "vmhost-stat",
			Options:           []string{"default_permissions"},
			DirectMountStrict: true,
			DirectMountFlags:  syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC,
			DisableXAttrs:     true,
		},
	}
	srv, err := fs.Mount(o.Mountpoint, root, opts)
	if err != nil {
		return nil, fmt.Errorf("mounting /proc/stat's file system on %s: %w", o.Mountpoint, err)
	}
	return srv, nil
}

// Run is the server process (vmhostd under the name view.StatServerName):
// `--parent GROUP --pidfile FILE MOUNTPOINT`. It mounts, writes its pid to
// the pid file, serves until its mount goes (the daemon detaches it) or
// SIGTERM, and exits. It runs on one CPU at a time at most (GOMAXPROCS 1):
// guests that read in a loop cannot take more of the host.
func Run(args []string) int {
	runtime.GOMAXPROCS(1)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	fl := flag.NewFlagSet("vmhost-viewstat", flag.ContinueOnError)
	parent := fl.String("parent", "", "the daemon's cgroup parent")
	pidFile := fl.String("pidfile", "", "where to write the pid")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 || *parent == "" || *pidFile == "" {
		log.Error("usage: --parent GROUP --pidfile FILE MOUNTPOINT")
		return 2
	}
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	srv, err := Mount(Options{Mountpoint: fl.Arg(0), CgroupRoot: limits.DefaultRoot, V1: cgroups.Mode() != cgroups.Unified, Parent: *parent, Log: log})
	if err != nil {
		log.Error("not serving /proc/stat", "err", err)
		return 1
	}
	go unmountOnSignal(srv, log)
	if err := atomicfile.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		log.Error("writing the pid file", "err", err)
		srv.Unmount()
		return 1
	}
	srv.Wait()
	return 0
}

// unmountOnSignal unmounts srv at SIGTERM or SIGINT.
func unmountOnSignal(srv *fuse.Server, log *slog.Logger) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
	if err := srv.Unmount(); err != nil && !errors.Is(err, syscall.EINVAL) {
		log.Warn("unmounting", "err", err)
		os.Exit(1)
	}
}
