//go:build linux

package limits

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"golang.org/x/sys/unix"
)

// DefaultRoot is where the host's cgroup hierarchies are mounted.
const DefaultRoot = "/sys/fs/cgroup"

// Controller makes and finds the groups of one daemon's guests, under a
// parent group of its own such as /vmhost-vmhost0.
type Controller struct {
	h      hierarchy
	parent string
}

// New returns the Controller of the groups under parent on this host: on
// cgroup2 when the host is unified, on the cgroup1 controllers when it is
// legacy or hybrid (a hybrid host's cgroup2 mount has no controllers).
// parent names a group unique to the daemon, such as "vmhost-vmhost0".
func New(parent string) (*Controller, error) {
	switch cgroups.Mode() {
	case cgroups.Unified:
		return NewV2(DefaultRoot, parent)
	case cgroups.Legacy, cgroups.Hybrid:
		return NewV1(DefaultRoot, parent)
	}
	return nil, fmt.Errorf("no cgroup hierarchy is mounted at %s; mount cgroup2 there (or the cgroup1 controllers) to limit guests", DefaultRoot)
}

// NewV1 returns the Controller of the groups under parent in the cgroup1
// hierarchies mounted under root (root/cpu, root/memory, ...).
func NewV1(root, parent string) (*Controller, error) {
	p, err := cleanParent(parent)
	if err != nil {
		return nil, err
	}
	h, err := newV1(root)
	if err != nil {
		return nil, err
	}
	return &Controller{h: h, parent: p}, nil
}

// NewV2 returns the Controller of the groups under parent in the cgroup2
// hierarchy mounted at mount.
func NewV2(mount, parent string) (*Controller, error) {
	p, err := cleanParent(parent)
	if err != nil {
		return nil, err
	}
	return &Controller{h: &v2{mount: mount}, parent: p}, nil
}

// cleanParent makes parent an absolute group path that is not the root.
func cleanParent(parent string) (string, error) {
	p := path.Clean("/" + parent)
	if p == "/" || strings.Contains(parent, "..") {
		return "", fmt.Errorf("cgroup parent %q must name a group below the root, like vmhost-vmhost0", parent)
	}
	return p, nil
}

// Parent is the parent group's path, such as /vmhost-vmhost0.
func (c *Controller) Parent() string { return c.parent }

// Open returns the group of guest id, which may or may not exist.
func (c *Controller) Open(id string) (*Group, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00\n") {
		return nil, fmt.Errorf("%q cannot name a cgroup; guest ids have no '/'", id)
	}
	return &Group{h: c.h, path: path.Join(c.parent, id), id: id}, nil
}

// Create makes the group of guest id with the limits of s. A group left over
// from a crash is removed first, when no process is left in it.
func (c *Controller) Create(id string, s Spec) (*Group, error) {
	g, err := c.Open(id)
	if err != nil {
		return nil, err
	}
	if err := g.removeLeftover(); err != nil {
		return nil, err
	}
	if err := g.h.create(g.path); err != nil {
		g.h.remove(g.path)
		return nil, fmt.Errorf("making the cgroup of guest %s: %w", id, err)
	}
	if err := g.h.apply(g.path, s); err != nil {
		g.h.remove(g.path)
		return nil, fmt.Errorf("setting the limits of guest %s: %w", id, err)
	}
	return g, nil
}

// Group is the cgroup of one guest, in every hierarchy it uses.
type Group struct {
	h    hierarchy
	path string
	id   string
}

// Path is the group's path below the hierarchies' roots, such as
// /vmhost-vmhost0/alice.
func (g *Group) Path() string { return g.path }

// Dirs are the group's directories, by cgroup1 controller, or under the key
// "" on cgroup2.
func (g *Group) Dirs() map[string]string { return g.h.dirs(g.path) }

// Start starts cmd inside the group: the child is in the group before it
// runs any code of its own. With CLONE_NEWCGROUP in cmd's Cloneflags, the
// child sees the group as its cgroup root "/".
func (g *Group) Start(cmd *exec.Cmd) error {
	if err := g.h.start(g.path, cmd); err != nil {
		return fmt.Errorf("starting %s in the cgroup of guest %s: %w", cmd.Path, g.id, err)
	}
	return nil
}

// Update changes the group's limits to s, while its processes run. A limit
// s leaves at zero is lifted.
func (g *Group) Update(s Spec) error {
	if err := g.h.apply(g.path, s); err != nil {
		return fmt.Errorf("changing the limits of guest %s: %w", g.id, err)
	}
	return nil
}

// Stats reads what the group's processes use now.
func (g *Group) Stats() (Stats, error) {
	st, err := g.h.stats(g.path)
	if errors.Is(err, cgroup1.ErrCgroupDeleted) || errors.Is(err, os.ErrNotExist) {
		return Stats{}, fmt.Errorf("reading the cgroup of guest %s: %w", g.id, ErrNotExist)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("reading the cgroup of guest %s: %w", g.id, err)
	}
	return st, nil
}

// Procs returns the pids of the processes in the group, as the host sees
// them; a group that is gone has none.
// Equivalent to: cat /sys/fs/cgroup/.../cgroup.procs
func (g *Group) Procs() ([]int, error) {
	pids, err := g.h.procs(g.path)
	if err != nil {
		return nil, fmt.Errorf("listing the processes of guest %s: %w", g.id, err)
	}
	return pids, nil
}

// deleteWait is how long Delete waits for the processes of a group, killed
// by the caller, to leave it; leftoverWait is how long Create waits for them
// in a leftover group.
const (
	deleteWait   = 5 * time.Second
	leftoverWait = 2 * time.Second
)

// Delete removes the group in every hierarchy. It kills nothing: the caller
// ends the processes first; Delete waits a little for them to leave. A group
// that is gone is no error.
func (g *Group) Delete() error {
	if err := g.waitEmpty(deleteWait); err != nil {
		return fmt.Errorf("removing the cgroup of guest %s: %w; stop the guest first", g.id, err)
	}
	if err := g.h.remove(g.path); err != nil {
		return fmt.Errorf("removing the cgroup of guest %s: %w", g.id, err)
	}
	return nil
}

// removeLeftover removes what is left of the group from before, such as
// after a crash, once no process is in it.
func (g *Group) removeLeftover() error {
	if err := g.waitEmpty(leftoverWait); err != nil {
		return fmt.Errorf("the cgroup of guest %s (%s) %w; stop them before starting the guest", g.id, g.path, err)
	}
	if err := g.h.remove(g.path); err != nil {
		return fmt.Errorf("removing the leftover cgroup of guest %s: %w", g.id, err)
	}
	return nil
}

// waitEmpty waits up to timeout for the group to have no processes; a group
// that is gone has none.
func (g *Group) waitEmpty(timeout time.Duration) error {
	return g.h.waitEmpty(g.path, timeout)
}

// ErrNotExist is wrapped by errors about a group that does not exist.
var ErrNotExist = errors.New("no such cgroup")

// RemoveParent removes the parent group in every hierarchy if no guest's
// group is left in it, as when the daemon stops with no guest running; a
// parent that still holds groups, or is gone, is left as it is. Equivalent
// to: `rmdir /sys/fs/cgroup/*/vmhost-vmhost0`, ignoring EBUSY.
func (c *Controller) RemoveParent() error {
	var errs []error
	for _, dir := range c.h.dirs(c.parent) {
		err := os.Remove(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.ENOTEMPTY) {
			errs = append(errs, fmt.Errorf("removing the parent cgroup %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}
