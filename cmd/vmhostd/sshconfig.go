package main

import (
	"time"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/sshgate"
)

// withSSHConfig returns opts with the settings of the config's ssh: section.
func withSSHConfig(opts sshgate.Options, c config.SSH) sshgate.Options {
	opts.HostCertificates = c.HostCertificates
	opts.MaxSessions = c.MaxSessions
	opts.MaxStartups = c.MaxStartups
	opts.PerSourceMaxStartups = c.PerSourceMaxStartups
	opts.StartupsDropStart = c.StartupsDropStart
	opts.StartupsDropRate = c.StartupsDropRate
	opts.MaxForwards = c.MaxForwards
	opts.MaxForwardChannels = c.MaxForwardChannels
	opts.MaxConnectionsPerUser = c.MaxConnectionsPerUser
	opts.LoginGraceTime = time.Duration(c.LoginGraceTime)
	opts.KeepaliveInterval = time.Duration(c.KeepaliveInterval)
	opts.KeepaliveCountMax = c.KeepaliveCountMax
	opts.IdleTimeout = time.Duration(c.IdleTimeout)
	opts.Forwarding = sshgate.Forwarding{
		NoTCP:         !isTrue(c.AllowTCPForwarding),
		NoStreamlocal: !isTrue(c.AllowStreamlocalForwarding),
		NoAgent:       !isTrue(c.AllowAgentForwarding),
	}
	opts.Penalty = sshgate.PenaltyOptions{
		Disabled: c.AuthPenalty.Burst == 0,
		Burst:    c.AuthPenalty.Burst,
		Refill:   time.Duration(c.AuthPenalty.Refill),
		Delay:    time.Duration(c.AuthPenalty.Delay),
	}
	return opts
}

// isTrue reads an optional boolean the config's defaults filled in; nil,
// which only a config not from Load has, counts as true, the default.
func isTrue(b *bool) bool {
	return b == nil || *b
}

// guestKeysOf returns what reads guests' own authorized keys, or nil when
// ssh.guest_authorized_keys is off.
func guestKeysOf(m *guest.Manager, c config.SSH) sshgate.GuestKeys {
	if !isTrue(c.GuestAuthorizedKeys) {
		return nil
	}
	return m
}
