package disks

import (
	"fmt"
	"strconv"
	"strings"
)

// blockSize is the block size of every disk's file system.
const blockSize = 4096

// mkfsArgs is the mkfs.ext4 command line that makes the file system of a
// disk of blocks blocks in file: 4 KiB blocks, no blocks kept for root (the
// guest's root is not the host's), the guest's inodes. The file is new and
// sparse, and mkfs punches holes in it (discard) before it writes, so its
// inode tables and journal read as zeros without being written: a 10GiB
// disk takes a few MiB of the host until the guest writes.
func mkfsArgs(file string, blocks int64, l Limits) []string {
	args := []string{"-q", "-F", "-t", "ext4", "-b", fmt.Sprint(blockSize), "-m", "0",
		"-E", "lazy_journal_init=1"}
	if l.Inodes > 0 {
		args = append(args, "-N", fmt.Sprint(l.Inodes))
	}
	return append(args, file, fmt.Sprint(blocks))
}

// imageBlocks is the first guess at the blocks of a disk whose usable size
// is want bytes: want plus an eighth for the file system's own metadata.
func imageBlocks(want int64) int64 {
	return blocksFor(want + want/8)
}

// blocksFor is the number of blocks that hold n bytes.
func blocksFor(n int64) int64 {
	return (n + blockSize - 1) / blockSize
}

// nextBlocks is the size in blocks to grow a disk of blocks blocks, whose
// usable size is usable bytes, so that it becomes at least want: the missing
// blocks, an eighth more for the metadata they bring, and one.
func nextBlocks(blocks, usable, want int64) int64 {
	missing := blocksFor(want - usable)
	return blocks + missing + missing/8 + 1
}

// checkResize says what to do to make a disk whose limit is now bytes take
// a limit of want bytes: grow, nothing (no limit given, or the same), or
// refuse a shrink.
func checkResize(now, want int64) (grow bool, err error) {
	switch {
	case want == 0 || want == now:
		return false, nil
	case want > now:
		return true, nil
	}
	return false, fmt.Errorf("a guest's disk cannot shrink while it exists: %d bytes is less than its %d; reset the guest (dropping its files) to make it anew with the smaller limit", want, now)
}

// superblockInfo is what dumpe2fs -h tells of a file system's size.
type superblockInfo struct {
	Blocks, Overhead int64
}

// usable is the bytes the file system gives its files: its blocks less
// those of its own metadata, as statfs counts them.
func (i superblockInfo) usable() int64 {
	return (i.Blocks - i.Overhead) * blockSize
}

// parseDumpe2fs reads the block count and overhead of dumpe2fs -h output;
// ok is false without both.
func parseDumpe2fs(out string) (superblockInfo, bool) {
	var info superblockInfo
	var blocks, overhead bool
	for _, line := range strings.Split(out, "\n") {
		key, val, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		switch {
		case err != nil:
		case key == "Block count":
			info.Blocks, blocks = n, true
		case key == "Overhead clusters":
			info.Overhead, overhead = n, true
		}
	}
	return info, blocks && overhead
}

// ueventDevName returns the DEVNAME of a device's uevent file, such as
// "loop3".
func ueventDevName(uevent string) (string, bool) {
	for _, line := range strings.Split(uevent, "\n") {
		if name, ok := strings.CutPrefix(line, "DEVNAME="); ok && name != "" && !strings.Contains(name, "/") {
			return name, true
		}
	}
	return "", false
}
