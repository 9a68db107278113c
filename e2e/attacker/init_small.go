package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The attacks on what the guest's init reads or opens when it starts a
// process: as the guest's root, plant hostile files where the init (or the
// child it starts a process from) looks, so that a bug there would crash or
// hang PID 1 and with it the guest.
func init() {
	register("init-small-plant", initSmallPlant)
	register("init-small-undo", initSmallUndo)
	register("init-small-proc", initSmallProc)
}

// savedSuffix is where a planted file's original is kept until undo.
const savedSuffix = ".init-small-saved"

// markShell is the login shell of the passwd-huge-line plant.
const markShell = "/init-small-shell"

// plants are the hostile files, by name: each replaces path with what make
// leaves there.
var plants = map[string]struct {
	path string
	make func(path string) error
}{
	// One line of 1000 KiB, under the init's bound of 1 MiB, so that it is
	// read and parsed, then root's line with a shell of its own that marks
	// the sessions it starts with INIT_SMALL_SHELL=1.
	"passwd-huge-line": {"/etc/passwd", func(p string) error {
		if err := os.WriteFile(markShell, []byte("#!/bin/sh\nexport INIT_SMALL_SHELL=1\nexec /bin/sh -l \"$@\"\n"), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(strings.Repeat("x", 1000<<10)+"\nroot:x:0:0:root:/root:"+markShell+"\n"), 0o644)
	}},
	// 4 MiB of colons and no newline, over the bound.
	"passwd-too-big": {"/etc/passwd", func(p string) error {
		return os.WriteFile(p, []byte(strings.Repeat(":0", 2<<20)), 0o644)
	}},
	// A FIFO no one writes to: opening it for reading blocks.
	"passwd-fifo": {"/etc/passwd", func(p string) error { return unix.Mkfifo(p, 0o644) }},
	// /etc/passwd a symlink loop.
	"passwd-loop": {"/etc/passwd", func(p string) error { return os.Symlink("passwd", p) }},
	// root's home a symlink to itself: every lookup ends in ELOOP.
	"home-loop": {"/root", func(p string) error { return os.Symlink("/root", p) }},
	// /etc/hosts a FIFO: a resolver that opens it blocks.
	"hosts-fifo": {"/etc/hosts", func(p string) error { return unix.Mkfifo(p, 0o644) }},
	// The terminal multiplexer a FIFO: no terminal can be opened.
	"ptmx-fifo": {"/dev/ptmx", func(p string) error { return unix.Mkfifo(p, 0o666) }},
}

// initSmallPlant moves the original of each named plant aside and puts the
// hostile file in its place. It reports planted_NAME=ok.
func initSmallPlant(args []string) error {
	for _, name := range args {
		p, ok := plants[name]
		if !ok {
			return fmt.Errorf("no plant %q", name)
		}
		if err := moveAside(p.path); err != nil {
			return err
		}
		if err := p.make(p.path); err != nil {
			return fmt.Errorf("planting %s: %w", name, err)
		}
		report("planted_"+name, "ok")
	}
	return nil
}

// moveAside renames path to path+savedSuffix. A directory of the image's
// (the lower layer of the overlay) cannot be renamed: it is removed, and
// undo makes it again, empty.
func moveAside(path string) error {
	err := os.Rename(path, path+savedSuffix)
	if errors.Is(err, unix.EXDEV) {
		err = os.RemoveAll(path)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// initSmallUndo puts the originals of the named plants back.
func initSmallUndo(args []string) error {
	for _, name := range args {
		p, ok := plants[name]
		if !ok {
			return fmt.Errorf("no plant %q", name)
		}
		os.Remove(p.path)
		err := os.Rename(p.path+savedSuffix, p.path)
		if errors.Is(err, os.ErrNotExist) && p.path == "/root" {
			err = os.Mkdir(p.path, 0o700) // removed by moveAside
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		report("undone_"+name, "ok")
	}
	return nil
}

// initSmallProc mounts a tmpfs over the guest's /proc for SECONDS seconds,
// with FIFOs at the oom_score_adj of the next pids and of "self" (which an
// init that wrote a new process's oom_score_adj by its pid would block on
// for good), then unmounts it. It reports mounted=ok at once (the test
// reads it as it comes) and unmounted=ok at the end.
func initSmallProc(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: init-small-proc SECONDS")
	}
	secs, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	next := os.Getpid() + 1
	if err := unix.Mount("tmpfs", "/proc", "tmpfs", 0, "size=1m"); err != nil {
		return fmt.Errorf("mounting a tmpfs over /proc: %w", err)
	}
	for _, dir := range append(pidDirs(next, 300), "self") {
		os.MkdirAll("/proc/"+dir, 0o755)
		unix.Mkfifo("/proc/"+dir+"/oom_score_adj", 0o644)
	}
	report("mounted", "ok")
	os.Stdout.Sync()
	time.Sleep(time.Duration(secs) * time.Second)
	if err := unix.Unmount("/proc", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmounting the tmpfs: %w", err)
	}
	report("unmounted", "ok")
	return nil
}

// pidDirs names the n pids from first.
func pidDirs(first, n int) []string {
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = strconv.Itoa(first + i)
	}
	return dirs
}
