package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// defaultSSHSection is what a file without an ssh: section means.
func defaultSSHSection() SSH {
	return SSH{
		MaxSessions:                10,
		MaxStartups:                100,
		PerSourceMaxStartups:       33,
		StartupsDropStart:          50,
		StartupsDropRate:           30,
		MaxForwards:                32,
		MaxForwardChannels:         256,
		MaxConnectionsPerUser:      32,
		LoginGraceTime:             Duration(30 * time.Second),
		KeepaliveInterval:          Duration(15 * time.Second),
		KeepaliveCountMax:          3,
		AllowTCPForwarding:         ptr(true),
		AllowStreamlocalForwarding: ptr(true),
		AllowAgentForwarding:       ptr(true),
		GuestAuthorizedKeys:        ptr(true),
		AuthPenalty:                AuthPenalty{Burst: 10, Refill: Duration(6 * time.Second), Delay: Duration(2 * time.Second)},
		DetachTimeout:              Duration(24 * time.Hour),
		MaxDetached:                10,
		MoshPorts:                  "60000-60999",
	}
}

func TestParseSSH(t *testing.T) {
	custom := defaultSSHSection()
	custom.MaxSessions = 50
	custom.MaxForwards = 4
	custom.MaxStartups = 20
	custom.PerSourceMaxStartups = 6
	custom.StartupsDropStart = 10
	custom.StartupsDropRate = 50
	custom.MaxForwardChannels = 1000
	custom.MaxConnectionsPerUser = 2
	custom.KeepaliveInterval = 0
	custom.IdleTimeout = Duration(time.Hour + 30*time.Minute)
	custom.AllowAgentForwarding = ptr(false)
	custom.AuthPenalty = AuthPenalty{Burst: 0, Refill: Duration(6 * time.Second), Delay: Duration(2 * time.Second)}
	custom.DetachTimeout = Duration(time.Hour)
	custom.MaxDetached = 3

	tests := []struct {
		in   string
		want SSH
	}{
		{bob, defaultSSHSection()},
		{"ssh:\n" + bob, defaultSSHSection()},
		{"ssh:\n  max_sessions: 50\n  max_forwards: 4\n  max_startups: 20\n  startups_drop_rate: 50\n  max_forward_channels: 1000\n  max_connections_per_user: 2\n  keepalive_interval: 0\n  idle_timeout: 1h30m\n" +
			"  allow_agent_forwarding: false\n  auth_penalty: {burst: 0}\n  detach_timeout: 1h\n  max_detached: 3\n" + bob, custom},
	}
	for _, tt := range tests {
		got, err := testLoader.Parse("/c.yaml", []byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got.SSH); diff != "" {
			t.Errorf("Parse(%q).SSH differs (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseSSHErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"ssh:\n  max_sesions: 3\n", `c.yaml:2: unknown key "max_sesions" in ssh; did you mean "max_sessions"?`},
		{"ssh:\n  max_detached: 0\n", `c.yaml:2: ssh.max_detached: 0 is out of range; write 1 to 1000 (default 10)`},
		{"ssh:\n  detach_timeout: 0\n", `c.yaml:2: ssh.detach_timeout: 0s is out of range; write a duration from 1s to 8784h0m0s (default 24h0m0s)`},
		{"ssh:\n  max_sessions: 0\n", `c.yaml:2: ssh.max_sessions: 0 is out of range; write 1 to 1000 (default 10)`},
		{"ssh:\n  max_sessions: many\n", `c.yaml:2: ssh.max_sessions: "many" is not a whole number`},
		{"ssh:\n  max_startups: -1\n", `c.yaml:2: ssh.max_startups: -1 is out of range`},
		{"ssh:\n  max_startups: 10\n  per_source_max_startups: 11\n", `c.yaml:3: ssh.per_source_max_startups: 11 is out of range; write 1 to max_startups (10)`},
		{"ssh:\n  startups_drop_start: 0\n", `c.yaml:2: ssh.startups_drop_start: 0 is out of range; write 1 to max_startups (100)`},
		{"ssh:\n  startups_drop_rate: 101\n", `c.yaml:2: ssh.startups_drop_rate: 101 is out of range; write a percentage from 1 to 100 (default 30)`},
		{"ssh:\n  max_forwards: 0\n", `c.yaml:2: ssh.max_forwards: 0 is out of range; write 1 to 10000 (default 32)`},
		{"ssh:\n  max_forward_channels: 100001\n", `c.yaml:2: ssh.max_forward_channels: 100001 is out of range; write 1 to 100000 (default 256)`},
		{"ssh:\n  max_connections_per_user: -3\n", `c.yaml:2: ssh.max_connections_per_user: -3 is out of range; write 1 to 100000 (default 32)`},
		{"ssh:\n  max_forwards: lots\n", `c.yaml:2: ssh.max_forwards: "lots" is not a whole number`},
		{"ssh:\n  login_grace_time: 30\n", `c.yaml:2: ssh.login_grace_time: "30" is not a duration; write it like 30s, 5m or 1h30m`},
		{"ssh:\n  login_grace_time: 0\n", `c.yaml:2: ssh.login_grace_time: 0s is out of range; write a duration from 1s to 10m0s`},
		{"ssh:\n  login_grace_time: [1s]\n", `c.yaml:2: ssh.login_grace_time: expected a duration such as 30s, found a list`},
		{"ssh:\n  keepalive_interval: -5s\n", `c.yaml:2: ssh.keepalive_interval: "-5s" is negative`},
		{"ssh:\n  keepalive_interval: 10ms\n", `c.yaml:2: ssh.keepalive_interval: 10ms is too short; write 1s or more, or 0`},
		{"ssh:\n  keepalive_count_max: 0\n", `c.yaml:2: ssh.keepalive_count_max: 0 is too few`},
		{"ssh:\n  idle_timeout: soon\n", `c.yaml:2: ssh.idle_timeout: "soon" is not a duration`},
		{"ssh:\n  allow_tcp_forwarding: yes please\n", `c.yaml:2: ssh.allow_tcp_forwarding: "yes please" is not true or false`},
		{"ssh:\n  auth_penalty: {burst: -1}\n", `c.yaml:2: ssh.auth_penalty.burst: -1 is negative`},
		{"ssh:\n  auth_penalty:\n    refill: 0\n", `c.yaml:3: ssh.auth_penalty.refill: 0s is too short`},
		{"ssh:\n  auth_penalty:\n    delay: 2m\n", `c.yaml:3: ssh.auth_penalty.delay: 2m0s is too long; write at most 1m0s`},
		{"ssh:\n  auth_penalty: {delay: 0}\n", `c.yaml:2: ssh.auth_penalty.delay: 0s is too short; write a delay like 2s, or burst: 0`},
		{"ssh:\n  auth_penalty: 5\n", `c.yaml:2: ssh.auth_penalty: expected keys and values`},
	}
	for _, tt := range tests {
		_, err := testLoader.Parse("c.yaml", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}
