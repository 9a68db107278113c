package config

import (
	"strings"
	"testing"
)

func TestMoshPorts(t *testing.T) {
	type want struct {
		value       string
		first, last uint16
		ok          bool
	}
	tests := []struct {
		in   string
		want want
	}{
		{bob, want{"60000-60999", 60000, 60999, true}},
		{"ssh:\n  mosh_ports: 61000-61010\n" + bob, want{"61000-61010", 61000, 61010, true}},
		{"ssh:\n  mosh_ports: \" 61000 - 61010 \"\n" + bob, want{" 61000 - 61010 ", 61000, 61010, true}},
		{"ssh:\n  mosh_ports: 61000\n" + bob, want{"61000", 61000, 61000, true}},
		{"ssh:\n  mosh_ports: none\n" + bob, want{"none", 0, 0, false}},
		{"ssh:\n  mosh_ports: \"\"\n" + bob, want{"", 0, 0, false}},
		{"ssh:\n  mosh_ports:\n" + bob, want{"", 0, 0, false}},
	}
	for _, tt := range tests {
		c, err := testLoader.Parse("/c.yaml", []byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		first, last, ok := c.SSH.MoshPortRange()
		if got := (want{c.SSH.MoshPorts, first, last, ok}); got != tt.want {
			t.Errorf("Parse(%q): mosh_ports %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestMoshPortsErrors(t *testing.T) {
	tests := []struct{ value, want string }{
		{"60999-60000", `c.yaml:2: ssh.mosh_ports: "60999-60000" is out of range; write FIRST-LAST with 1024 <= FIRST <= LAST <= 65535`},
		{"53-60000", `c.yaml:2: ssh.mosh_ports: "53-60000" is out of range`},
		{"60000-70000", `c.yaml:2: ssh.mosh_ports: "60000-70000" is not a port range; write it like 60000-60999, or none`},
		{"all", `c.yaml:2: ssh.mosh_ports: "all" is not a port range`},
		{"60000-", `c.yaml:2: ssh.mosh_ports: "60000-" is not a port range`},
		{"-1-5", `c.yaml:2: ssh.mosh_ports: "-1-5" is not a port range`},
	}
	for _, tt := range tests {
		in := "ssh:\n  mosh_ports: \"" + tt.value + "\"\n" + bob
		_, err := testLoader.Parse("/c.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(mosh_ports: %q) = %v, want an error with %q", tt.value, err, tt.want)
		}
	}
}
