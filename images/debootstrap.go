package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DebootstrapCacheEnv names the environment variable that gives debootstrap
// a directory to keep downloaded packages in between builds, passed as
// --cache-dir (created if missing). Tests and `make test` set it so that the
// Debian image is downloaded once; the daemon passes it on to its builds.
const DebootstrapCacheEnv = "VMHOST_DEBOOTSTRAP_CACHE"

// Debootstrap builds a Debian (or Ubuntu) image with the host's debootstrap,
// then makes it ready to be a guest: apt sources with updates and security,
// placeholders for the files each guest gets at start (/etc/hostname,
// /etc/hosts, /etc/resolv.conf), locale C.UTF-8, timezone Etc/UTC and an
// empty /etc/machine-id. apt's sandbox user _apt needs nothing more: its
// uid is one of the 0..65535 a guest maps.
type Debootstrap struct {
	// Suite is the release, such as bookworm.
	Suite string
	// Mirror is the archive; empty means the Debian mirror of the host's apt
	// (see hostMirror), or http://deb.debian.org/debian.
	Mirror string
	// Variant is debootstrap's --variant, such as minbase; empty for the
	// default.
	Variant string
	// Include are more packages to install.
	Include []string
	// CacheDir keeps downloaded packages between builds; empty for none.
	CacheDir string
	// AptDir is the host's apt configuration, where Mirror defaults come
	// from; empty means /etc/apt.
	AptDir string
}

// Build runs debootstrap into rootfs, streaming its lines to progress, then
// configures the result. Equivalent to:
//
//	debootstrap [--variant=V] [--include=P,...] [--cache-dir=D] SUITE ROOTFS MIRROR
func (d *Debootstrap) Build(ctx context.Context, rootfs string, progress io.Writer) error {
	exe, err := exec.LookPath("debootstrap")
	if err != nil {
		exe, err = exec.LookPath("/usr/sbin/debootstrap")
	}
	if err != nil {
		return errors.New("debootstrap is not installed: install it (apt-get install debootstrap)")
	}
	mirror := d.mirror()
	if d.Mirror == "" {
		fmt.Fprintf(progress, "using the host's Debian mirror %s\n", mirror)
	}
	unlock, err := d.lockCache(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	defer unmountUnder(rootfs)
	args := d.args(rootfs, mirror)
	fmt.Fprintf(progress, "running debootstrap %s\n", strings.Join(args, " "))
	if err := runStreaming(ctx, exe, args, progress); err != nil {
		showLogTail(filepath.Join(rootfs, "debootstrap/debootstrap.log"), progress)
		return fmt.Errorf("debootstrap of %s from %s: %w; see its output above", d.Suite, mirror, err)
	}
	if err := unmountUnder(rootfs); err != nil {
		return err
	}
	return configureDebian(rootfs, d.Suite, mirror, securityMirror(mirror, d.aptDir()))
}

// Check returns an error unless rootfs has apt-get, which a Debian guest is
// for.
func (d *Debootstrap) Check(rootfs string) error {
	if err := checkExecutable(rootfs, "/usr/bin/apt-get"); err != nil {
		return fmt.Errorf("it has no /usr/bin/apt-get: %w", err)
	}
	return nil
}

// args are debootstrap's arguments.
func (d *Debootstrap) args(rootfs, mirror string) []string {
	var args []string
	if d.Variant != "" {
		args = append(args, "--variant="+d.Variant)
	}
	if len(d.Include) > 0 {
		args = append(args, "--include="+strings.Join(d.Include, ","))
	}
	if d.CacheDir != "" {
		args = append(args, "--cache-dir="+d.CacheDir)
	}
	return append(args, d.Suite, rootfs, mirror)
}

func (d *Debootstrap) mirror() string {
	if d.Mirror != "" {
		return strings.TrimSuffix(d.Mirror, "/")
	}
	return hostMirror(d.aptDir())
}

func (d *Debootstrap) aptDir() string {
	if d.AptDir == "" {
		return "/etc/apt"
	}
	return d.AptDir
}

// lockCache creates CacheDir if needed and takes its lock, so that two
// builds never write it at once: the second waits, then finds the packages
// there. Equivalent to: `flock DIR/.vmhost-lock`.
func (d *Debootstrap) lockCache(ctx context.Context) (func(), error) {
	if d.CacheDir == "" {
		return func() {}, nil
	}
	if !filepath.IsAbs(d.CacheDir) {
		return nil, fmt.Errorf("the debootstrap cache %q (%s) is not an absolute path", d.CacheDir, DebootstrapCacheEnv)
	}
	if err := os.MkdirAll(d.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the debootstrap cache: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(d.CacheDir, ".vmhost-lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the debootstrap cache: %w", err)
	}
	if err := waitFlock(ctx, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("waiting for another build using the debootstrap cache: %w", err)
	}
	return func() { f.Close() }, nil
}
