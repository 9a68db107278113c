// Package images builds and stores the root filesystems guests boot from.
//
// An image lives at <dir>/<name>/rootfs, owned by the host's real ids 0..65535,
// with its metadata in <dir>/<name>/image.json. Guests never write an image: each
// one sees it through an idmapped mount used as the lower layer of its overlay.
// Images are built on first use from a source named in the config ("busybox",
// "debootstrap" or "tar"), in a temporary directory that is renamed into place
// only when the build is complete and the rootfs has an executable /bin/sh.
package images
