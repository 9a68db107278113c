package images

import (
	"context"
	"fmt"
	"io"
	"os"

	"vmhost/config"
)

// Source fills an empty root filesystem. Each value of config.Image.Source has
// its own Source type.
type Source interface {
	// Build fills rootfs, an empty directory that exists, and writes short
	// human lines about what it does to progress (never nil).
	Build(ctx context.Context, rootfs string, progress io.Writer) error
}

// checker is a Source that promises more than the /bin/sh every image has,
// and checks it after a build.
type checker interface {
	// Check returns an error saying what rootfs lacks.
	Check(rootfs string) error
}

// sourceFor returns the Source that builds spec.
func sourceFor(spec config.Image) (Source, error) {
	switch spec.Source {
	case config.SourceBusybox:
		return &Busybox{}, nil
	case config.SourceDebootstrap:
		return &Debootstrap{
			Suite:    spec.Suite,
			Mirror:   spec.Mirror,
			Variant:  spec.Variant,
			Include:  spec.Include,
			CacheDir: os.Getenv(DebootstrapCacheEnv),
		}, nil
	case config.SourceTar:
		return &Tarball{Path: spec.Path}, nil
	default:
		return nil, fmt.Errorf("unknown source %q: use busybox, debootstrap or tar", spec.Source)
	}
}
