package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLifecycleErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{alice + "defaults:\n  idle_stop: soon\n", `c.yaml:4: defaults.idle_stop: "soon" is not a duration`},
		{alice + "defaults:\n  idle_stop: 10ms\n", `c.yaml:4: defaults.idle_stop: 10ms is too short`},
		{alice + "defaults:\n  idle_stop: -5m\n", `c.yaml:4: defaults.idle_stop: "-5m" is negative`},
		{alice + "defaults:\n  autostart: sometimes\n", `c.yaml:4: defaults.autostart: "sometimes" is not true or false`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    idle_stop: 1ms\n", `c.yaml:4: users.alice.idle_stop: 1ms is too short`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    autostart: [yes]\n", `c.yaml:4: users.alice.autostart: expected true or false, found a list`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    auto_start: true\n", `c.yaml:4: unknown key "auto_start" in users.alice; did you mean "autostart"?`},
	}
	for _, tt := range tests {
		in := withKeys(tt.in)
		_, err := testLoader.Parse("c.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", in, err, tt.want)
		}
	}
}

func TestLifecycleLookups(t *testing.T) {
	in := withKeys("defaults:\n  autostart: true\n  idle_stop: 30m\n  reattach: false\nusers:\n" +
		"  alice: {keys: [\"<alice-key>\"]}\n" +
		"  bob: {keys: [\"<bob-key>\"], autostart: false, idle_stop: 0, reattach: true}\n" +
		"  carol: {keys: [\"<alice-key>\"], idle_stop: 2h}\n")
	c, err := testLoader.Parse("c.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user      string
		autostart bool
		idle      time.Duration
		reattach  bool
	}{
		{"alice", true, 30 * time.Minute, false},
		{"bob", false, 0, true},
		{"carol", true, 2 * time.Hour, false},
		{"nobody", true, 30 * time.Minute, false},
	}
	for _, tt := range tests {
		if got := c.AutostartFor(tt.user); got != tt.autostart {
			t.Errorf("AutostartFor(%q) = %v, want %v", tt.user, got, tt.autostart)
		}
		if got := c.ReattachFor(tt.user); got != tt.reattach {
			t.Errorf("ReattachFor(%q) = %v, want %v", tt.user, got, tt.reattach)
		}
		if got := c.IdleStopFor(tt.user); got != tt.idle {
			t.Errorf("IdleStopFor(%q) = %v, want %v", tt.user, got, tt.idle)
		}
	}
	got := c.IdleStops()
	slices.Sort(got)
	if want := []time.Duration{0, 30 * time.Minute, 30 * time.Minute, 2 * time.Hour}; !slices.Equal(got, want) {
		t.Errorf("IdleStops() = %v, want %v", got, want)
	}
}

func TestReattachDefault(t *testing.T) {
	c, err := testLoader.Parse("c.yaml", []byte(withKeys("users:\n  alice: {keys: [\"<alice-key>\"]}\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !c.ReattachFor("alice") {
		t.Error("ReattachFor with reattach unset = false, want true")
	}
}
