package config

// Guests holds what every guest gets from the host, whoever owns it (the
// guests section).
type Guests struct {
	// View is what shows guests their own machine in /proc and /sys
	// (meminfo, cpuinfo, stat, ...): ViewLXCFS or ViewNone.
	View string `yaml:"view"`
}

// Values of guests.view.
const (
	// ViewLXCFS binds lxcfs's files over guests' own, when the host has
	// lxcfs and FUSE; without them guests see the host's numbers.
	ViewLXCFS = "lxcfs"
	// ViewNone leaves guests the kernel's files, with the host's numbers.
	ViewNone = "none"
)

// defaultGuests fills in the keys of the guests section the file left out.
func defaultGuests(c *Config, r *report) {
	if c.Guests.View == "" && !r.has("guests.view") {
		c.Guests.View = ViewLXCFS
	}
}

// checkGuests wants guests.view to be one of its values.
func checkGuests(v *validator) {
	switch v.c.Guests.View {
	case ViewLXCFS, ViewNone:
	default:
		v.addf("guests.view", "%q is not a view; write %s (the default) or %s", v.c.Guests.View, ViewLXCFS, ViewNone)
	}
}
