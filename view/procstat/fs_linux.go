package procstat

import (
	"context"
	"log/slog"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

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

// dirNode is a read-only directory.
type dirNode struct{ fs.Inode }

var _ = (fs.NodeGetattrer)((*dirNode)(nil))

// Getattr implements fs.NodeGetattrer.
func (d *dirNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = 0o555
	return 0
}

// statNode is proc/stat.
type statNode struct {
	fs.Inode
	fsys *statFS
}

var (
	_ = (fs.NodeGetattrer)((*statNode)(nil))
	_ = (fs.NodeOpener)((*statNode)(nil))
)

// Getattr implements fs.NodeGetattrer: a read-only file of size 0, as
// /proc's.
func (n *statNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = 0o444
	return 0
}

// Open implements fs.NodeOpener: for reading only, by a thread of a guest
// that has fewer than maxOpen files open here.
func (n *statNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
		return nil, 0, syscall.EROFS
	}
	r, err := n.fsys.src.readerOf(callerPid(ctx))
	if err != nil {
		return nil, 0, syscall.EACCES
	}
	if !n.fsys.opened(r.group) {
		return nil, 0, syscall.ENFILE
	}
	return &statHandle{fsys: n.fsys, group: r.group}, fuse.FOPEN_DIRECT_IO, 0
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
	fsys  *statFS
	group string // the guest that opened it, for maxOpen

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
		r, err := h.fsys.src.readerOf(callerPid(ctx))
		if err != nil {
			return nil, syscall.EACCES
		}
		b, err := h.fsys.src.contentOf(r)
		if err != nil {
			h.fsys.log.Debug("making /proc/stat", "guest", r.group, "err", err)
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
	h.fsys.closed(h.group)
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
