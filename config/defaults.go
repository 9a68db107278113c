package config

import (
	"path/filepath"
	"strconv"
)

// Default values of the keys a file may leave out.
const (
	DefaultListen    = "0.0.0.0:2222"
	DefaultDataDir   = "/var/lib/vmhost"
	DefaultRunDir    = "/run/vmhost"
	DefaultBridge    = "vmhost0"
	DefaultSubnet    = "10.213.0.0/16"
	DefaultImage     = "busybox"
	DefaultMaxGuests = 3
	DefaultProto     = "tcp"
)

// applyDefaults fills in the keys the file left out. A key written with an
// empty value is left empty, for validation to name.
func applyDefaults(c *Config, r *report) {
	def := func(path string, v *string, d string) {
		if *v == "" && !r.has(path) {
			*v = d
		}
	}
	def("listen", &c.Listen, DefaultListen)
	def("data_dir", &c.DataDir, DefaultDataDir)
	def("run_dir", &c.RunDir, DefaultRunDir)
	def("network.bridge", &c.Network.Bridge, DefaultBridge)
	def("network.subnet", &c.Network.Subnet, DefaultSubnet)
	def("network.subnet6", &c.Network.Subnet6, DefaultSubnet6(c.Network.Bridge, c.Network.Subnet))
	def("defaults.image", &c.Defaults.Image, DefaultImage)
	for i := range c.Network.Forwards {
		def("network.forwards["+strconv.Itoa(i)+"].proto", &c.Network.Forwards[i].Proto, DefaultProto)
	}
	if c.Defaults.MaxGuests == 0 && !r.has("defaults.max_guests") {
		c.Defaults.MaxGuests = DefaultMaxGuests
	}
	c.Network.NAT = orTrue(c.Network.NAT)
	c.Network.NAT6 = orTrue(c.Network.NAT6)
	c.Network.Isolate = orTrue(c.Network.Isolate)
	c.Defaults.Reattach = orTrue(c.Defaults.Reattach)
	if c.Defaults.RecordFail == "" {
		c.Defaults.RecordFail = RecordFailOpen
	}
	defaultImages(c)
	defaultSSH(c, r)
	defaultGuestBounds(c, r)
	defaultStorage(c, r)
	defaultGuests(c, r)
	defaultCluster(c, r)
}

// defaultImages adds the busybox image unless the file defines its own.
func defaultImages(c *Config) {
	if c.Images == nil {
		c.Images = make(map[string]Image)
	}
	if _, ok := c.Images[DefaultImage]; !ok {
		c.Images[DefaultImage] = Image{Source: SourceBusybox}
	}
}

func orTrue(b *bool) *bool {
	if b == nil {
		t := true
		return &t
	}
	return b
}

// resolvePaths makes the relative paths of c absolute against dir.
func resolvePaths(c *Config, dir string) {
	c.DataDir = resolvePath(dir, c.DataDir)
	c.RunDir = resolvePath(dir, c.RunDir)
	c.SSH.TrustedUserCAKeys = resolvePath(dir, c.SSH.TrustedUserCAKeys)
	c.Metrics.TokenFile = resolvePath(dir, c.Metrics.TokenFile)
	c.AuditLog = resolvePath(dir, c.AuditLog)
	resolveClusterPaths(c, dir)
	for i, p := range c.SSH.HostCertificates {
		c.SSH.HostCertificates[i] = resolvePath(dir, p)
	}
	for name, im := range c.Images {
		im.Path = resolvePath(dir, im.Path)
		c.Images[name] = im
	}
	for name, u := range c.Users {
		u.AuthorizedKeysFile = resolvePath(dir, u.AuthorizedKeysFile)
		c.Users[name] = u
	}
}

// resolvePath joins a relative path to dir; empty and absolute paths stay.
func resolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
