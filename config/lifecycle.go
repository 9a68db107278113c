package config

import "time"

// MinIdleStop is the shortest idle_stop that is not 0.
const MinIdleStop = Duration(time.Second)

// AutostartFor reports whether the user's guests start when the daemon
// starts: the user's own autostart, or defaults.autostart.
func (c *Config) AutostartFor(user string) bool {
	if u, ok := c.Users[user]; ok && u.Autostart != nil {
		return *u.Autostart
	}
	return c.Defaults.Autostart
}

// ReattachFor reports whether the terminal sessions of the user's guests
// are kept across dropped connections: the user's own reattach, else
// defaults.reattach, else true.
func (c *Config) ReattachFor(user string) bool {
	if u, ok := c.Users[user]; ok && u.Reattach != nil {
		return *u.Reattach
	}
	return c.Defaults.Reattach == nil || *c.Defaults.Reattach
}

// IdleStopFor returns how long the user's guests may stay idle (no SSH
// session, no process but their init) before they are stopped: the user's
// own idle_stop, or defaults.idle_stop; 0 means never.
func (c *Config) IdleStopFor(user string) time.Duration {
	if u, ok := c.Users[user]; ok && u.IdleStop != nil {
		return time.Duration(*u.IdleStop)
	}
	return time.Duration(c.Defaults.IdleStop)
}

// IdleStops lists every idle_stop of the configuration: that of the
// defaults and that of every user.
func (c *Config) IdleStops() []time.Duration {
	out := []time.Duration{time.Duration(c.Defaults.IdleStop)}
	for name := range c.Users {
		out = append(out, c.IdleStopFor(name))
	}
	return out
}

// checkLifecycle wants every idle_stop that is set to be 0 or at least
// MinIdleStop.
func checkLifecycle(v *validator) {
	checkIdleStop(v, "defaults.idle_stop", v.c.Defaults.IdleStop)
	for _, name := range sortedKeys(v.c.Users) {
		if d := v.c.Users[name].IdleStop; d != nil {
			checkIdleStop(v, "users."+name+".idle_stop", *d)
		}
	}
}

// checkIdleStop checks one idle_stop.
func checkIdleStop(v *validator, path string, d Duration) {
	if d != 0 && d < MinIdleStop {
		v.addf(path, "%s is too short: a guest would stop between two commands; write 30m, or 0 to never stop idle guests", d)
	}
}
