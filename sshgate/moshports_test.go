package sshgate

import (
	"errors"
	"log/slog"
	"maps"
	"net/netip"
	"strings"
	"testing"
)

var (
	moshClient  = netip.MustParseAddr("192.0.2.7")
	moshClient2 = netip.MustParseAddr("192.0.2.8")
)

// newTestMoshPorts returns ports 61000-61000+size-1 over a fake host, and
// the log that gets their audit lines.
func newTestMoshPorts(size int) (*moshPorts, *fakeMoshHost, *slog.Logger, *logBuffer) {
	host := newFakeMoshHost()
	var buf logBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	p := newMoshPorts(MoshOptions{Host: host, FirstPort: 61000, LastPort: uint16(61000 + size - 1), PerGuest: 3}, log)
	return p, host, log.With("audit", true), &buf
}

func TestMoshPortsPublish(t *testing.T) {
	type call struct {
		guest     string
		client    netip.Addr
		guestPort uint16
		want      uint16 // 0: refused
	}
	tests := []struct {
		name  string
		size  int
		taken []uint16
		calls []call
		logs  []string
	}{
		{"one", 10, nil, []call{{"alice", moshClient, 60001, 61000}}, []string{"outcome=published host_port=61000 guest_port=60001 client=192.0.2.7"}},
		{"ports in turn, taken ones skipped", 10, []uint16{61001}, []call{
			{"alice", moshClient, 60001, 61000}, {"alice", moshClient2, 60002, 61002}, {"bob", moshClient, 60001, 61003},
		}, nil},
		{"per guest", 10, nil, []call{
			{"alice", moshClient, 60001, 61000}, {"alice", moshClient, 60002, 61001}, {"alice", moshClient, 60003, 61002},
			{"alice", moshClient, 60004, 0}, {"bob", moshClient, 60004, 61003},
		}, []string{"outcome=refused guest_port=60004 reason=\"the guest has 3 mosh ports published already, the most it may\""}},
		{"range full", 2, nil, []call{
			{"alice", moshClient, 60001, 61000}, {"bob", moshClient, 60001, 61001}, {"carol", moshClient, 60001, 0},
		}, []string{"reason=\"all 2 host ports of ssh.mosh_ports are published\""}},
		{"every free port taken", 3, []uint16{61001, 61002}, []call{
			{"alice", moshClient, 60001, 61000}, {"bob", moshClient, 60001, 0},
		}, []string{"reason=\"no free host port in ssh.mosh_ports\""}},
		{"the same guest port again", 10, nil, []call{
			{"alice", moshClient, 60001, 61000}, {"alice", moshClient2, 60001, 61001},
		}, []string{"outcome=removed host_port=61000 guest_port=60001 client=192.0.2.7 reason=\"the guest port was published again\""}},
		{"IPv6 client", 10, nil, []call{{"alice", netip.MustParseAddr("2001:db8::7"), 60001, 0}},
			[]string{"reason=\"the client's address 2001:db8::7 is not IPv4; mosh-server's port is published over IPv4 only\""}},
		{"IPv4 in IPv6", 10, nil, []call{{"alice", netip.MustParseAddr("::ffff:192.0.2.7"), 60001, 61000}}, []string{"client=192.0.2.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, host, audit, buf := newTestMoshPorts(tt.size)
			for _, port := range tt.taken {
				host.taken[port] = true
			}
			for _, c := range tt.calls {
				got, ok := p.publish(audit, c.guest, c.client, c.guestPort)
				if got != c.want || ok != (c.want != 0) {
					t.Errorf("publish(%s, %v, %d) = %d, %v; want %d", c.guest, c.client, c.guestPort, got, ok, c.want)
				}
			}
			for _, l := range tt.logs {
				if !strings.Contains(buf.String(), l) {
					t.Errorf("the log has no %q:\n%s", l, buf)
				}
			}
		})
	}
}

func TestMoshPortsSweep(t *testing.T) {
	p, host, audit, buf := newTestMoshPorts(10)
	host.setBound("alice", 60001, 60002)
	host.setBound("bob", 60001)
	for _, c := range []struct {
		guest string
		port  uint16
	}{{"alice", 60001}, {"alice", 60002}, {"bob", 60001}} {
		if _, ok := p.publish(audit, c.guest, moshClient, c.port); !ok {
			t.Fatalf("publish(%s, %d) refused", c.guest, c.port)
		}
	}
	p.sweep()
	if mapped, removed := host.state(); len(mapped) != 3 || len(removed) != 0 {
		t.Errorf("after a sweep with every port bound: mapped %v, removed %v; want all 3 kept", mapped, removed)
	}

	host.setBound("alice", 60002)
	host.readErr = errors.New("too many open files")
	p.sweep()
	if mapped, _ := host.state(); len(mapped) != 3 {
		t.Errorf("after a sweep that could not read the tables: mapped %v; want all 3 kept", mapped)
	}
	host.readErr = nil
	host.unmapErr = errors.New("iptables: resource temporarily unavailable")
	p.sweep()
	if mapped, _ := host.state(); len(mapped) != 3 || len(p.live) != 3 || strings.Contains(buf.String(), "outcome=removed") {
		t.Errorf("after a sweep whose removal failed: mapped %v, kept %d; want all 3 kept and no removal logged:\n%s", mapped, len(p.live), buf)
	}
	host.unmapErr = nil
	p.sweep()
	want := map[uint16]MoshMapping{
		61001: {Guest: "alice", Client: moshClient, HostPort: 61001, GuestPort: 60002},
		61002: {Guest: "bob", Client: moshClient, HostPort: 61002, GuestPort: 60001},
	}
	if mapped, _ := host.state(); !maps.Equal(mapped, want) {
		t.Errorf("after alice's port 60001 was unbound: mapped %v, want %v", mapped, want)
	}
	if !strings.Contains(buf.String(), "outcome=removed host_port=61000 guest_port=60001 client=192.0.2.7 reason=\"nothing in the guest has the port bound: mosh-server ended\"") {
		t.Errorf("no audit line for the removal:\n%s", buf)
	}

	delete(host.bound, "bob")
	p.sweep()
	if mapped, _ := host.state(); len(mapped) != 1 || mapped[61001].Guest != "alice" {
		t.Errorf("after bob's guest stopped: mapped %v, want alice's 61001 only", mapped)
	}
	if !strings.Contains(buf.String(), "reason=\"the guest is not running\"") {
		t.Errorf("no audit line for the stopped guest's port:\n%s", buf)
	}

	stop := p.start()
	stop()
	if mapped, _ := host.state(); len(mapped) != 0 {
		t.Errorf("after stop: mapped %v, want none", mapped)
	}
	if !strings.Contains(buf.String(), "reason=\"the daemon is stopping\"") {
		t.Errorf("no audit line for the daemon's stop:\n%s", buf)
	}
}

func TestNewMoshPortsOff(t *testing.T) {
	host := newFakeMoshHost()
	for _, o := range []MoshOptions{{}, {FirstPort: 60000, LastPort: 60999}, {Host: host}, {Host: host, FirstPort: 61000, LastPort: 60000}} {
		if p := newMoshPorts(o, slog.New(slog.DiscardHandler)); p != nil {
			t.Errorf("newMoshPorts(%+v) = %v, want nil", o, p)
		}
	}
}
