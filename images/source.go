package images

import (
	"context"
	"fmt"
	"io"

	"vmhost/config"
)

// Source fills an empty root filesystem. Each value of config.Image.Source has
// its own Source type.
type Source interface {
	// Build fills rootfs, an empty directory that exists, and writes short
	// human lines about what it does to progress (never nil).
	Build(ctx context.Context, rootfs string, progress io.Writer) error
}

// sourceFor returns the Source that builds spec.
func sourceFor(spec config.Image) (Source, error) {
	switch spec.Source {
	case config.SourceBusybox:
		return &Busybox{}, nil
	case config.SourceDebootstrap:
		return &debootstrap{spec: spec}, nil
	case config.SourceTar:
		return &tarball{path: spec.Path}, nil
	default:
		return nil, fmt.Errorf("unknown source %q: use busybox, debootstrap or tar", spec.Source)
	}
}

// debootstrap builds a Debian or Ubuntu rootfs with debootstrap.
type debootstrap struct {
	spec config.Image
}

// Build is not written yet.
func (d *debootstrap) Build(ctx context.Context, rootfs string, progress io.Writer) error {
	return errNotSupported(config.SourceDebootstrap)
}

// tarball unpacks a rootfs from a tar archive, compressed or not.
type tarball struct {
	path string
}

// Build is not written yet.
func (t *tarball) Build(ctx context.Context, rootfs string, progress io.Writer) error {
	return errNotSupported(config.SourceTar)
}

func errNotSupported(source string) error {
	return fmt.Errorf("source %q is not supported yet; use source busybox for now", source)
}
