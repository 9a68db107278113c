// Package images builds and stores the root filesystems guests boot from.
//
// # Layout
//
// Each build of an image is kept on its own, owned by the host's real ids
// 0..65535, and never written once made:
//
//	<dir>/<name>/rootfs -> builds/<id>/rootfs   the current build (the contract path)
//	<dir>/<name>/builds/<id>/rootfs/            one build
//	<dir>/<name>/builds/<id>/image.json         its metadata
//
// Image.Rootfs is the resolved path of one build. A guest records it when it
// is made and keeps using it: Store.Rebuild makes a new build current (by an
// atomic replace of the link) without changing the old one, which stays until
// Store.Prune or Store.Remove finds no guest using it. Guests never write an
// image: each one sees its build through an idmapped mount used as the lower
// layer of its overlay.
//
// Images are built on first use from a source named in the config
// ("busybox", "debootstrap" or "tar"), in a temporary directory <dir>/.build-*
// that becomes a build only when it is complete and checked: an executable
// /bin/sh, and /usr/bin/apt-get for debootstrap. A failed or interrupted build
// leaves nothing behind; mounts a killed debootstrap left inside are detached
// before anything is removed. A build is done once its complete directory is
// renamed into builds/: a process killed before it made that build current
// has it made current by the next NewStore.
//
// # Sources
//
// Busybox copies the host's static busybox: milliseconds, no network.
//
// Debootstrap runs the host's debootstrap from the config's mirror, or the
// Debian mirror of the host's apt, then sets apt sources (with -updates and
// -security), locale C.UTF-8, timezone Etc/UTC, an empty machine-id, and
// placeholders for /etc/hostname, /etc/hosts and /etc/resolv.conf, which each
// guest gets at start. apt's sandbox user _apt, dpkg's chown and setuid files
// need nothing special: their ids are among the 0..65535 a guest maps. Set
// VMHOST_DEBOOTSTRAP_CACHE (DebootstrapCacheEnv) to an absolute directory to
// keep the downloaded packages between builds, as the tests do (default for
// tests: /var/cache/vmhost-debootstrap); `go test -short` skips the real
// build.
//
// Tarball unpacks a root filesystem tarball, plain or compressed (gzip, xz,
// zstd, bzip2), so that nothing lands outside the image whatever the
// tarball holds; see Tarball for what is kept and what is refused.
package images
