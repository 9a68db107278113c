package config

// User returns the settings of the user name, and whether there is one.
func (c *Config) User(name string) (User, bool) {
	u, ok := c.Users[name]
	return u, ok
}

// ImageFor returns the image a user's new guests start from: the user's own,
// or defaults.image.
func (c *Config) ImageFor(user string) string {
	if u, ok := c.Users[user]; ok && u.Image != "" {
		return u.Image
	}
	return c.Defaults.Image
}

// MaxGuestsFor returns how many guests a user may have: the user's own
// max_guests if above 0, or defaults.max_guests.
func (c *Config) MaxGuestsFor(user string) int {
	if u, ok := c.Users[user]; ok && u.MaxGuests > 0 {
		return u.MaxGuests
	}
	return c.Defaults.MaxGuests
}

// LimitsFor returns the limits of a user's guests: defaults.limits, each field
// overridden by the user's own when set.
func (c *Config) LimitsFor(user string) Limits {
	return c.Defaults.Limits.Override(c.Users[user].Limits)
}

// Override returns l with every field that o sets (not zero) taken from o.
func (l Limits) Override(o Limits) Limits {
	set(&l.Memory, o.Memory)
	set(&l.Swap, o.Swap)
	set(&l.CPUs, o.CPUs)
	set(&l.CPUWeight, o.CPUWeight)
	set(&l.Pids, o.Pids)
	set(&l.IOWeight, o.IOWeight)
	set(&l.Disk, o.Disk)
	set(&l.Inodes, o.Inodes)
	return l
}

// set makes *dst v when v is not zero.
func set[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// NATEnabled reports whether guests reach the outside through NAT (the
// default).
func (c *Config) NATEnabled() bool {
	return c.Network.NAT == nil || *c.Network.NAT
}

// IsolateEnabled reports whether guests are kept from reaching each other (the
// default).
func (c *Config) IsolateEnabled() bool {
	return c.Network.Isolate == nil || *c.Network.Isolate
}
