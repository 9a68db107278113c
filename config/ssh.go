package config

import "time"

// SSH configures the SSH server: sessions per connection, forwarding and
// connection hygiene. Every key has a safe default; forwarding is on, since
// a guest is its user's own.
type SSH struct {
	// MaxSessions bounds the sessions open at once on one connection
	// (OpenSSH's MaxSessions).
	MaxSessions int `yaml:"max_sessions"`
	// MaxStartups bounds the connections not yet logged in; more are closed
	// at once (OpenSSH's MaxStartups).
	MaxStartups int `yaml:"max_startups"`
	// PerSourceMaxStartups bounds the connections not logged in yet from
	// one source, an IPv4 address or an IPv6 /64 (OpenSSH's
	// PerSourceMaxStartups); by default a third of max_startups.
	PerSourceMaxStartups int `yaml:"per_source_max_startups"`
	// StartupsDropStart is where random early drop starts: with that many
	// connections not logged in yet, a new one is closed with a chance of
	// StartupsDropRate percent, rising to 100% at max_startups (OpenSSH's
	// MaxStartups start:rate:full). By default half of max_startups;
	// max_startups turns early drop off.
	StartupsDropStart int `yaml:"startups_drop_start"`
	// StartupsDropRate is the chance of a drop at startups_drop_start, in
	// percent.
	StartupsDropRate int `yaml:"startups_drop_rate"`
	// MaxForwards bounds the remote forward listeners (ssh -R, TCP and Unix
	// socket) of one connection.
	MaxForwards int `yaml:"max_forwards"`
	// MaxForwardChannels bounds the forwarded connections open at once on
	// one connection (ssh -L, -D, -W, and connections to its -R listeners
	// and agent socket).
	MaxForwardChannels int `yaml:"max_forward_channels"`
	// MaxConnectionsPerUser bounds the connections of one user, logged in,
	// at once.
	MaxConnectionsPerUser int `yaml:"max_connections_per_user"`
	// LoginGraceTime bounds the handshake and login of a connection.
	LoginGraceTime Duration `yaml:"login_grace_time"`
	// KeepaliveInterval is how often the server checks on a silent client
	// (OpenSSH's ClientAliveInterval); 0 never does.
	KeepaliveInterval Duration `yaml:"keepalive_interval"`
	// KeepaliveCountMax is how many checks may go unanswered before the
	// connection is closed (OpenSSH's ClientAliveCountMax).
	KeepaliveCountMax int `yaml:"keepalive_count_max"`
	// IdleTimeout closes a connection that carried no data for that long; 0
	// (the default) never does.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// AllowTCPForwarding allows ssh -L, -D, -W and -R.
	AllowTCPForwarding *bool `yaml:"allow_tcp_forwarding"`
	// AllowStreamlocalForwarding allows Unix socket forwarding.
	AllowStreamlocalForwarding *bool `yaml:"allow_streamlocal_forwarding"`
	// AllowAgentForwarding allows ssh -A.
	AllowAgentForwarding *bool `yaml:"allow_agent_forwarding"`
	// DetachTimeout is how long a detached terminal session is kept; then
	// it is hung up as a dropped connection's was before sessions were
	// kept.
	DetachTimeout Duration `yaml:"detach_timeout"`
	// MaxDetached bounds the detached sessions one guest keeps; past it,
	// the one detached longest is hung up.
	MaxDetached int `yaml:"max_detached"`
	// GuestAuthorizedKeys lets the keys in a guest's own
	// /root/.ssh/authorized_keys log in to that guest (ssh-copy-id).
	GuestAuthorizedKeys *bool `yaml:"guest_authorized_keys"`
	// AuthPenalty slows down sources that fail to log in.
	AuthPenalty AuthPenalty `yaml:"auth_penalty"`
	// HostCertificates are host certificate files (ssh-keygen -h) offered
	// with the host keys they certify (sshd's HostCertificate); relative
	// paths are against the config file's directory. Read at start.
	HostCertificates []string `yaml:"host_certificates"`
	// TrustedUserCAKeys is a file of CA public keys, one per line (sshd's
	// TrustedUserCAKeys): a user certificate signed by one of them logs in
	// as a user its principals name. Read at each login.
	TrustedUserCAKeys string `yaml:"trusted_user_ca_keys"`
	// MoshPorts are the host UDP ports ("FIRST-LAST") that mosh-server's
	// ports in guests are published on, each only to the address of the
	// client that started it; "none" or empty publishes none.
	MoshPorts string `yaml:"mosh_ports"`
}

// AuthPenalty limits failed logins per source address, like OpenSSH's
// PerSourcePenalties: a source may fail Burst times, and once more every
// Refill; past that, each failure is answered after Delay. A login with an
// authorized key is never slowed down.
type AuthPenalty struct {
	// Burst is the failures allowed at once; 0 turns the penalty off.
	Burst int `yaml:"burst"`
	// Refill is how often one more failure is allowed.
	Refill Duration `yaml:"refill"`
	// Delay is how long a penalized failure waits for its answer.
	Delay Duration `yaml:"delay"`
}

// Defaults of the ssh: section.
const (
	DefaultMaxSessions       = 10
	DefaultMaxStartups       = 100
	DefaultMaxForwards       = 32
	DefaultStartupsDropRate  = 30
	DefaultMaxForwardChans   = 256
	DefaultMaxConnsPerUser   = 32
	DefaultLoginGraceTime    = Duration(30 * time.Second)
	DefaultKeepaliveInterval = Duration(15 * time.Second)
	DefaultKeepaliveCountMax = 3
	DefaultPenaltyBurst      = 10
	DefaultPenaltyRefill     = Duration(6 * time.Second)
	DefaultPenaltyDelay      = Duration(2 * time.Second)
	DefaultDetachTimeout     = Duration(24 * time.Hour)
	DefaultMaxDetached       = 10
)

// Limits of the ssh: section's values.
const (
	maxSSHSessions   = 1000
	maxSSHStartups   = 100000
	maxSSHForwards   = 10000
	maxSSHChannels   = 100000
	maxSSHUserConns  = 100000
	maxSSHDetached   = 1000
	maxDetachTimeout = Duration(366 * 24 * time.Hour)
	maxLoginGrace    = Duration(10 * time.Minute)
	maxPenaltyDelay  = Duration(time.Minute)
	minSSHKeepalive  = Duration(time.Second)
	minPenaltyRefill = Duration(time.Millisecond)
)

// defaultSSH fills in the keys of the ssh: section the file left out.
func defaultSSH(c *Config, r *report) {
	s := &c.SSH
	defInt := func(path string, v *int, d int) {
		if *v == 0 && !r.has("ssh."+path) {
			*v = d
		}
	}
	defDur := func(path string, v *Duration, d Duration) {
		if *v == 0 && !r.has("ssh."+path) {
			*v = d
		}
	}
	defInt("max_sessions", &s.MaxSessions, DefaultMaxSessions)
	defInt("max_startups", &s.MaxStartups, DefaultMaxStartups)
	defInt("per_source_max_startups", &s.PerSourceMaxStartups, max(1, s.MaxStartups/3))
	defInt("startups_drop_start", &s.StartupsDropStart, max(1, s.MaxStartups/2))
	defInt("startups_drop_rate", &s.StartupsDropRate, DefaultStartupsDropRate)
	defInt("max_forwards", &s.MaxForwards, DefaultMaxForwards)
	defInt("max_forward_channels", &s.MaxForwardChannels, DefaultMaxForwardChans)
	defInt("max_connections_per_user", &s.MaxConnectionsPerUser, DefaultMaxConnsPerUser)
	defDur("login_grace_time", &s.LoginGraceTime, DefaultLoginGraceTime)
	defDur("keepalive_interval", &s.KeepaliveInterval, DefaultKeepaliveInterval)
	defInt("keepalive_count_max", &s.KeepaliveCountMax, DefaultKeepaliveCountMax)
	defInt("auth_penalty.burst", &s.AuthPenalty.Burst, DefaultPenaltyBurst)
	defDur("auth_penalty.refill", &s.AuthPenalty.Refill, DefaultPenaltyRefill)
	defDur("auth_penalty.delay", &s.AuthPenalty.Delay, DefaultPenaltyDelay)
	defDur("detach_timeout", &s.DetachTimeout, DefaultDetachTimeout)
	defInt("max_detached", &s.MaxDetached, DefaultMaxDetached)
	s.AllowTCPForwarding = orTrue(s.AllowTCPForwarding)
	s.AllowStreamlocalForwarding = orTrue(s.AllowStreamlocalForwarding)
	s.AllowAgentForwarding = orTrue(s.AllowAgentForwarding)
	s.GuestAuthorizedKeys = orTrue(s.GuestAuthorizedKeys)
	defaultMosh(c, r)
}

// checkSSH wants the ssh: section's numbers and durations in range.
func checkSSH(v *validator) {
	s := v.c.SSH
	if s.MaxSessions < 1 || s.MaxSessions > maxSSHSessions {
		v.addf("ssh.max_sessions", "%d is out of range; write 1 to %d (default %d)", s.MaxSessions, maxSSHSessions, DefaultMaxSessions)
	}
	if s.MaxStartups < 1 || s.MaxStartups > maxSSHStartups {
		v.addf("ssh.max_startups", "%d is out of range; write 1 to %d (default %d)", s.MaxStartups, maxSSHStartups, DefaultMaxStartups)
	}
	checkStartups(v, s)
	checkRange(v, "ssh.max_forwards", s.MaxForwards, maxSSHForwards, DefaultMaxForwards)
	checkRange(v, "ssh.max_forward_channels", s.MaxForwardChannels, maxSSHChannels, DefaultMaxForwardChans)
	checkRange(v, "ssh.max_connections_per_user", s.MaxConnectionsPerUser, maxSSHUserConns, DefaultMaxConnsPerUser)
	if s.LoginGraceTime < Duration(time.Second) || s.LoginGraceTime > maxLoginGrace {
		v.addf("ssh.login_grace_time", "%v is out of range; write a duration from 1s to %v (default %v)", s.LoginGraceTime, maxLoginGrace, DefaultLoginGraceTime)
	}
	if s.KeepaliveInterval != 0 && s.KeepaliveInterval < minSSHKeepalive {
		v.addf("ssh.keepalive_interval", "%v is too short; write 1s or more, or 0 to send no keepalives (default %v)", s.KeepaliveInterval, DefaultKeepaliveInterval)
	}
	if s.KeepaliveCountMax < 1 {
		v.addf("ssh.keepalive_count_max", "%d is too few; write 1 or more (default %d)", s.KeepaliveCountMax, DefaultKeepaliveCountMax)
	}
	checkPenalty(v, s.AuthPenalty)
	checkRange(v, "ssh.max_detached", s.MaxDetached, maxSSHDetached, DefaultMaxDetached)
	if s.DetachTimeout < Duration(time.Second) || s.DetachTimeout > maxDetachTimeout {
		v.addf("ssh.detach_timeout", "%v is out of range; write a duration from 1s to %v (default %v)", s.DetachTimeout, maxDetachTimeout, DefaultDetachTimeout)
	}
	checkMosh(v)
}

// checkStartups wants the shares of max_startups within it.
func checkStartups(v *validator, s SSH) {
	if s.MaxStartups < 1 {
		return // reported as such
	}
	if s.PerSourceMaxStartups < 1 || s.PerSourceMaxStartups > s.MaxStartups {
		v.addf("ssh.per_source_max_startups", "%d is out of range; write 1 to max_startups (%d); by default a third of it", s.PerSourceMaxStartups, s.MaxStartups)
	}
	if s.StartupsDropStart < 1 || s.StartupsDropStart > s.MaxStartups {
		v.addf("ssh.startups_drop_start", "%d is out of range; write 1 to max_startups (%d), which turns early drop off; by default half of it", s.StartupsDropStart, s.MaxStartups)
	}
	if s.StartupsDropRate < 1 || s.StartupsDropRate > 100 {
		v.addf("ssh.startups_drop_rate", "%d is out of range; write a percentage from 1 to 100 (default %d)", s.StartupsDropRate, DefaultStartupsDropRate)
	}
}

// checkRange wants n, the value of key, from 1 to max.
func checkRange(v *validator, key string, n, max, def int) {
	if n < 1 || n > max {
		v.addf(key, "%d is out of range; write 1 to %d (default %d)", n, max, def)
	}
}

// checkPenalty wants the auth_penalty numbers in range; with burst 0 the
// penalty is off and the others are not used.
func checkPenalty(v *validator, p AuthPenalty) {
	switch {
	case p.Burst < 0:
		v.addf("ssh.auth_penalty.burst", "%d is negative; write the failures allowed at once, or 0 to turn the penalty off (default %d)", p.Burst, DefaultPenaltyBurst)
	case p.Burst == 0:
		return
	}
	if p.Refill < minPenaltyRefill {
		v.addf("ssh.auth_penalty.refill", "%v is too short; write how often one more failure is allowed, like %v", p.Refill, DefaultPenaltyRefill)
	}
	switch {
	case p.Delay == 0:
		v.addf("ssh.auth_penalty.delay", "0s is too short; write a delay like %v, or burst: 0 to turn the penalty off", DefaultPenaltyDelay)
	case p.Delay > maxPenaltyDelay:
		v.addf("ssh.auth_penalty.delay", "%v is too long; write at most %v (default %v)", p.Delay, maxPenaltyDelay, DefaultPenaltyDelay)
	}
}
