package guestinit

import (
	"fmt"
	"log/slog"
	"net"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// serveView answers an OpView request: it takes the init's view mounts
// away and attaches the detached mounts the request carries (the daemon's
// clones of a restarted view server's files), each over its guest path.
// A request with no files leaves the kernel's files.
func serveView(c *net.UnixConn, req *protocol.Request, fds []int, log *slog.Logger) {
	ms, err := viewMounts(req.View, fds)
	if err != nil {
		protocol.CloseAll(fds)
		protocol.SendMessage(c, protocol.Reply{Error: err.Error()})
		return
	}
	rootFD, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		protocol.CloseAll(fds)
		protocol.SendMessage(c, protocol.Reply{Error: fmt.Sprintf("opening the root: %v", err)})
		return
	}
	defer unix.Close(rootFD)
	root := guestRoot{fd: rootFD, log: log, now: time.Now}
	initViews.detachAll(root)
	n := initViews.attach(root, ms)
	protocol.SendMessage(c, protocol.Reply{Mounted: n})
}

// viewMounts pairs the paths of an OpView request with its descriptors, each
// made read-only, nosuid, nodev and noexec.
func viewMounts(paths []string, fds []int) ([]viewMount, error) {
	if len(paths) != len(fds) {
		return nil, fmt.Errorf("view request with %d paths and %d files", len(paths), len(fds))
	}
	seen := make(map[string]bool)
	for _, p := range paths {
		if !protocol.IsViewFile(p) || seen[p] {
			return nil, fmt.Errorf("view request for %q, not a view file or twice", p)
		}
		seen[p] = true
	}
	ms := make([]viewMount, 0, len(fds))
	for i, p := range paths {
		if err := setViewAttrs(fds[i]); err != nil {
			return nil, err
		}
		ms = append(ms, viewMount{path: p, fd: fds[i]})
	}
	return ms, nil
}
