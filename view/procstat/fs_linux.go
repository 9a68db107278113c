package procstat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// errOtherGuest is a reader of another guest's file.
var errOtherGuest = errors.New("a reader of another guest's file")

// maxOpen bounds the open files of one guest: each holds a copy of its
// /proc/stat in the server.
const maxOpen = 1024

// statFS is the file system: proc/stat, and the directories to it.
type statFS struct {
	src *source
	log *slog.Logger

	mu   sync.Mutex
	open map[string]int // open files by guest group
}

// statNode is GUEST/proc/stat: only readers of its guest's group may
// open it.
type statNode struct {
	fs.Inode
	fsys  *statFS
	group string // the guest's group, such as /vmhost-vmhost0/alice
}

var (
	_ = (fs.NodeGetattrer)((*statNode)(nil))
	_ = (fs.NodeOpener)((*statNode)(nil))
)

// Getattr implements fs.NodeGetattrer: a read-only file whose size is the
// length of its content for a caller of its guest (sendfile reads up to
// it), 0 for anyone else.
func (n *statNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = 0o444
	if b, err := n.content(ctx); err == nil {
		out.Size = uint64(len(b))
	}
	return 0
}

// content is the file's content for the caller of ctx, who must be of its
// guest.
func (n *statNode) content(ctx context.Context) ([]byte, error) {
	r, err := n.fsys.src.readerOf(callerPid(ctx))
	if err != nil {
		return nil, err
	}
	if r.group != n.group {
		return nil, errOtherGuest
	}
	return n.fsys.src.contentOf(r)
}

// Open implements fs.NodeOpener: for reading only, by a thread of its
// guest, which has fewer than maxOpen files open here.
func (n *statNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
		return nil, 0, syscall.EROFS
	}
	r, err := n.fsys.src.readerOf(callerPid(ctx))
	if err != nil || r.group != n.group {
		return nil, 0, syscall.EACCES
	}
	if !n.fsys.opened(r.group) {
		return nil, 0, syscall.ENFILE
	}
	return &statHandle{node: n}, fuse.FOPEN_DIRECT_IO, 0
}

// opened counts a file open by group, unless it has maxOpen already.
func (f *statFS) opened(group string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open[group] >= maxOpen {
		return false
	}
	f.open[group]++
	return true
}

// closed counts a file of group closed.
func (f *statFS) closed(group string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open[group]--; f.open[group] <= 0 {
		delete(f.open, group)
	}
}

// statHandle is an open proc/stat. A read at offset 0 makes its content
// again, for the thread that reads; later offsets read the same content,
// so a reader of small pieces gets one consistent file.
type statHandle struct {
	node *statNode

	mu      sync.Mutex
	content []byte
}

var (
	_ = (fs.FileReader)((*statHandle)(nil))
	_ = (fs.FileReleaser)((*statHandle)(nil))
)

// Read implements fs.FileReader.
func (h *statHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if off == 0 || h.content == nil {
		b, err := h.node.content(ctx)
		switch {
		case errors.Is(err, errNoGuest) || errors.Is(err, errOtherGuest):
			return nil, syscall.EACCES
		case err != nil:
			h.node.fsys.log.Debug("making /proc/stat", "guest", h.node.group, "err", err)
			return nil, syscall.EIO
		}
		h.content = b
	}
	if off >= int64(len(h.content)) {
		return fuse.ReadResultData(nil), 0
	}
	end := min(off+int64(len(dest)), int64(len(h.content)))
	return fuse.ReadResultData(h.content[off:end]), 0
}

// Release implements fs.FileReleaser.
func (h *statHandle) Release(ctx context.Context) syscall.Errno {
	h.node.fsys.closed(h.node.group)
	return 0
}

// callerPid is the thread that made the request, in the server's pid
// namespace; 0 for the kernel's own.
func callerPid(ctx context.Context) int {
	c, ok := fuse.FromContext(ctx)
	if !ok {
		return 0
	}
	return int(c.Pid)
}
