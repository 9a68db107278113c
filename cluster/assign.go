package cluster

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"vmhost/config"
	"vmhost/guest"
)

// Assignment is one guest assigned to this node: whose, which, from what
// image and with what limits. Limits left zero are the configuration's
// defaults.limits.
type Assignment struct {
	Owner  string        `json:"owner"`
	Name   string        `json:"name"`
	Image  string        `json:"image"`
	Limits config.Limits `json:"limits,omitzero"`
	// Volume, for a volume guest, is the directory where the cluster
	// mounts the guest's volume on this node: its files live there (see
	// guest.VolumePolicy). Empty for a guest whose files are the node's.
	Volume string `json:"volume,omitempty"`
}

// maxVolumePath bounds an assignment's volume path.
const maxVolumePath = 1024

// ID is the guest's identifier: its login, OWNER or OWNER+NAME.
func (a Assignment) ID() string { return guest.GuestID(a.Owner, a.Name) }

// CheckNames reports what is wrong with the assignment's owner and guest
// names: they follow the rules of config users and guest names.
func (a Assignment) CheckNames() error {
	var errs []error
	if !config.ValidUserName(a.Owner) {
		errs = append(errs, fmt.Errorf("owner %q is not a valid user name (up to 32 lower-case letters, digits, '_' and '-', starting with a letter or '_')", a.Owner))
	}
	if !config.ValidGuestName(a.Name) {
		errs = append(errs, fmt.Errorf("guest name %q is not a valid host name (up to 32 lower-case letters, digits and '-')", a.Name))
	}
	return errors.Join(errs...)
}

// Check reports what is wrong with the assignment on this node: its names,
// an image the configuration cfg defines, and limits that make sense on
// host h.
func (a Assignment) Check(cfg *config.Config, h config.Host) error {
	errs := []error{a.CheckNames()}
	if _, ok := cfg.Images[a.Image]; !ok {
		errs = append(errs, fmt.Errorf("image %q is not defined on this node; use one of %s", a.Image, strings.Join(imageNames(cfg), ", ")))
	}
	if err := a.Limits.Check(h); err != nil {
		errs = append(errs, fmt.Errorf("limits: %w", err))
	}
	if err := checkVolume(a.Volume); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// imageNames lists the images cfg defines, in order.
func imageNames(cfg *config.Config) []string {
	return slices.Sorted(maps.Keys(cfg.Images))
}

// checkVolume reports what is wrong with a volume path: it is absolute and
// clean, and bounded.
func checkVolume(v string) error {
	switch {
	case v == "":
		return nil
	case len(v) > maxVolumePath:
		return fmt.Errorf("volume path is longer than %d bytes", maxVolumePath)
	case !filepath.IsAbs(v) || filepath.Clean(v) != v || v == "/":
		return fmt.Errorf("volume %q is not a clean absolute path below /", v)
	case strings.ContainsRune(v, 0):
		return fmt.Errorf("volume path holds a NUL byte")
	}
	return nil
}
