package admin

import (
	"context"
	"io"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/images"
)

// Guests is what the API needs of guest.Manager.
type Guests interface {
	List() []guest.Info
	Get(id string) (guest.Info, error)
	Start(ctx context.Context, id string) error
	Stop(id string) error
	Restart(ctx context.Context, id string) error
	Remove(id string) error
	Reset(id string) error
	Exec(ctx context.Context, id string, req guest.SpawnRequest) (guest.Process, error)
	// SetAutostart records the guest's own autostart; nil goes back to its
	// owner's.
	SetAutostart(id string, on *bool) error
}

// Limiter reads what running guests use and changes their limits;
// guest.Manager implements it.
type Limiter interface {
	Stats(id string) (guest.Stats, error)
	// ChangeLimits changes the guest's own limits, checked, applied and
	// recorded at once, and returns them; it refuses limits that make no
	// sense with guest.ErrBadLimits.
	ChangeLimits(id string, c guest.LimitsChange) (config.Limits, error)
}

// Images is what the API needs of images.Store.
type Images interface {
	List() ([]images.Image, error)
	Ensure(ctx context.Context, name string, spec config.Image, progress io.Writer) (images.Image, error)
	Rebuild(ctx context.Context, name string, spec config.Image, progress io.Writer) (images.Image, error)
	Remove(name string, inUse func(rootfs string) bool) error
}

// Daemon is the running daemon's configuration.
type Daemon interface {
	// Config is the configuration in use.
	Config() *config.Config
	// Reload reads the configuration file again and applies it; a bad file
	// is refused with its error and the configuration in use is kept.
	Reload() (Reloaded, error)
}

// Sessions counts the SSH connections open to each guest.
type Sessions interface {
	Sessions(id string) int
}
