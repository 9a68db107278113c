package netplumb

import (
	"net/netip"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	ok := func() Config {
		return Config{Bridge: "vmhost0", Subnet: netip.MustParsePrefix("10.213.0.0/16"),
			Forwards: []Forward{{Guest: "alice", Proto: "tcp", HostPort: 8080, GuestPort: 80}}}
	}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"bad bridge", func(c *Config) { c.Bridge = "has space" }, "bridge name"},
		{"long bridge", func(c *Config) { c.Bridge = "abcdefghijklmnop" }, "bridge name"},
		{"ipv6 subnet", func(c *Config) { c.Subnet = netip.MustParsePrefix("fd00::/64") }, "not an IPv4 subnet"},
		{"host bits", func(c *Config) { c.Subnet = netip.MustParsePrefix("10.213.0.1/16") }, "write 10.213.0.0/16"},
		{"tiny subnet", func(c *Config) { c.Subnet = netip.MustParsePrefix("10.213.0.0/31") }, "too small"},
		{"bad proto", func(c *Config) { c.Forwards[0].Proto = "sctp" }, "not tcp or udp"},
		{"port 0", func(c *Config) { c.Forwards[0].GuestPort = 0 }, "port 0"},
		{"no guest", func(c *Config) { c.Forwards[0].Guest = "" }, "no guest"},
		{"twice", func(c *Config) { c.Forwards = append(c.Forwards, c.Forwards[0]) }, "published twice"},
		{"tcp and udp", func(c *Config) {
			f := c.Forwards[0]
			f.Proto = "udp"
			c.Forwards = append(c.Forwards, f)
		}, ""},
	}
	for _, tt := range tests {
		c := ok()
		tt.edit(&c)
		err := c.check()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: check() = %v, want nil", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: check() = %v, want an error with %q", tt.name, err, tt.wantErr)
		}
	}
}
