package authkeys

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAllowsOpen(t *testing.T) {
	r := Restrictions{PermitOpen: []string{"db:5432", "Web:*", "[::1]:22"}}
	tests := []struct {
		host string
		port uint32
		want bool
	}{
		{"db", 5432, true}, {"db", 5433, false}, {"web", 1, true}, {"::1", 22, true},
		{"127.0.0.1", 5432, false}, {"dbx", 5432, false},
	}
	for _, tt := range tests {
		if got := r.AllowsOpen(tt.host, tt.port); got != tt.want {
			t.Errorf("AllowsOpen(%s, %d) = %v, want %v", tt.host, tt.port, got, tt.want)
		}
	}
	if !(Restrictions{}).AllowsOpen("anything", 1) {
		t.Errorf("no permitopen refuses a forward, want any allowed")
	}
	if (Restrictions{NoPortForwarding: true, PermitOpen: []string{"db:*"}}).AllowsOpen("db", 1) {
		t.Errorf("no-port-forwarding allows a forward")
	}
}

func TestAllowsListen(t *testing.T) {
	r := Restrictions{PermitListen: []string{"8080", "localhost:9000", "*:9100"}}
	tests := []struct {
		host string
		port uint32
		want bool
	}{
		{"", 8080, true}, {"localhost", 8080, true}, {"0.0.0.0", 8080, true},
		{"localhost", 9000, true}, {"0.0.0.0", 9000, false},
		{"0.0.0.0", 9100, true}, {"localhost", 0, false}, {"", 22, false},
	}
	for _, tt := range tests {
		if got := r.AllowsListen(tt.host, tt.port); got != tt.want {
			t.Errorf("AllowsListen(%q, %d) = %v, want %v", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestMatchFrom(t *testing.T) {
	pats := []string{"10.0.0.0/8", "!10.9.*", "192.0.2.?", "2001:db8::/32"}
	tests := []struct {
		addr string
		want bool
	}{
		{"10.1.2.3", true}, {"10.9.1.1", false}, {"192.0.2.7", true}, {"192.0.2.17", false},
		{"198.51.100.1", false}, {"2001:db8::5", true}, {"::ffff:10.1.2.3", true},
	}
	for _, tt := range tests {
		if got := MatchFrom(pats, netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("MatchFrom(%v, %s) = %v, want %v", pats, tt.addr, got, tt.want)
		}
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true}, {"a*c", "abbbc", true}, {"a*c", "abd", false}, {"a?c", "abc", true},
		{"a?c", "ac", false}, {"*.*.*.1", "10.0.0.1", true}, {"", "x", false},
	}
	for _, tt := range tests {
		if got := Wildcard(tt.pat, tt.s); got != tt.want {
			t.Errorf("Wildcard(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func TestAdmits(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	src := netip.MustParseAddr("192.0.2.1")
	if err := (Options{From: []string{"192.0.2.0/24"}, Expiry: now.Add(time.Hour)}).Admits(src, now); err != nil {
		t.Errorf("Admits = %v, want nil", err)
	}
	if err := (Options{From: []string{"10.0.0.0/8"}}).Admits(src, now); err == nil {
		t.Errorf("Admits from outside from= = nil, want an error")
	}
	if err := (Options{Expiry: now}).Admits(src, now); err == nil {
		t.Errorf("Admits at the expiry time = nil, want an error")
	}
}

func TestMerge(t *testing.T) {
	a := Restrictions{NoPTY: true, PermitOpen: []string{"db:1", "web:2"}, Command: "backup"}
	b := Restrictions{NoAgentForwarding: true, PermitOpen: []string{"web:2"}, PermitListen: []string{"80"}}
	got, err := a.Merge(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Restrictions{NoPTY: true, NoAgentForwarding: true, PermitOpen: []string{"web:2"}, PermitListen: []string{"80"}, Command: "backup"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge mismatch (-want +got):\n%s", diff)
	}
	if _, err := a.Merge(Restrictions{Command: "other"}); err == nil {
		t.Errorf("Merge of two forced commands = nil error, want one")
	}
	disjoint, _ := Restrictions{PermitOpen: []string{"a:1"}}.Merge(Restrictions{PermitOpen: []string{"b:1"}})
	if disjoint.AllowsOpen("a", 1) || disjoint.AllowsOpen("b", 1) {
		t.Errorf("disjoint permitopen lists merged allow %v, want nothing", disjoint.PermitOpen)
	}
}
