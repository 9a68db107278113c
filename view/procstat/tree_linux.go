package procstat

import (
	"context"
	"path"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The tree is GUEST/proc/stat for each guest id: a file of each guest's
// own, so that what the kernel keeps of one in its page cache (sendfile
// and mmap read through it) is only ever that guest's.

// rootNode is the root: a directory per guest id, made when looked up.
type rootNode struct {
	fs.Inode
	fsys *statFS
}

var (
	_ = (fs.NodeGetattrer)((*rootNode)(nil))
	_ = (fs.NodeLookuper)((*rootNode)(nil))
)

// Getattr implements fs.NodeGetattrer.
func (n *rootNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = 0o555
	return 0
}

// Lookup implements fs.NodeLookuper: any name a guest id can be.
func (n *rootNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if !validID(name) {
		return nil, syscall.ENOENT
	}
	group := path.Join(n.fsys.src.parent, name)
	return lookupChild(ctx, &n.Inode, name, out, func() fs.InodeEmbedder {
		return &namedDir{child: "proc", make: func() fs.InodeEmbedder {
			return &namedDir{child: "stat", make: func() fs.InodeEmbedder { return &statNode{fsys: n.fsys, group: group} }}
		}}
	})
}

// validID reports whether name can be a guest id (and a cgroup's name).
func validID(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= 255
}

// namedDir is a read-only directory with one child, made by make.
type namedDir struct {
	fs.Inode
	child string
	make  func() fs.InodeEmbedder
}

var (
	_ = (fs.NodeGetattrer)((*namedDir)(nil))
	_ = (fs.NodeLookuper)((*namedDir)(nil))
)

// Getattr implements fs.NodeGetattrer.
func (d *namedDir) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = 0o555
	return 0
}

// Lookup implements fs.NodeLookuper.
func (d *namedDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if name != d.child {
		return nil, syscall.ENOENT
	}
	return lookupChild(ctx, &d.Inode, name, out, d.make)
}

// lookupChild returns parent's child name, made by mk when it has none,
// with its attributes in out.
func lookupChild(ctx context.Context, parent *fs.Inode, name string, out *fuse.EntryOut, mk func() fs.InodeEmbedder) (*fs.Inode, syscall.Errno) {
	ch := parent.GetChild(name)
	if ch == nil {
		node := mk()
		mode := uint32(syscall.S_IFDIR)
		if _, ok := node.(*statNode); ok {
			mode = syscall.S_IFREG
		}
		ch = parent.NewInode(ctx, node, fs.StableAttr{Mode: mode})
	}
	if g, ok := ch.Operations().(fs.NodeGetattrer); ok {
		var attr fuse.AttrOut
		g.Getattr(ctx, nil, &attr)
		out.Attr = attr.Attr
	}
	return ch, 0
}
