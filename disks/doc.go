// Package disks gives each guest a disk of its own for its own files (the
// upper and work directories of its overlay), so that the kernel, not the
// daemon, holds it to its disk and inode limits, and `df /` inside the guest
// shows that disk.
//
// A guest's disk is a sparse file, <dir>/<guest>.img, with an ext4 file
// system made by mkfs.ext4, attached to a loop device of its own (with
// autoclear: the device goes away when the file system is unmounted) and
// mounted at <dir>/<guest>/. The file system is sized so that its usable
// size, what statfs and df show, is the guest's disk limit; its inodes are
// the guest's inode limit. A write past either gets ENOSPC inside that guest
// alone. The disk grows live (the file, the loop device, then the file
// system, online); it never shrinks while it exists.
//
// Project quotas (XFS prjquota, ext4's project feature) would do the same
// with one file system for every guest, but need CONFIG_XFS_QUOTA, or
// CONFIG_QFMT_V2 for ext4, which kernels such as the one this project is
// tested on leave out; a loop device and an ext4 mount per guest need
// neither.
package disks
