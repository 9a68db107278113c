package limits

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParsePopulated(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"populated 1\nfrozen 0\n", true, false},
		{"populated 0\nfrozen 0\n", false, false},
		{"frozen 0\n", false, true},
		{"", false, true},
	}
	for _, tt := range tests {
		got, err := parsePopulated([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parsePopulated(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestWaitEmpty(t *testing.T) {
	for _, h := range []struct {
		name string
		new  func(t *testing.T) *Controller
	}{
		{"host", newTestController}, // cgroup1 here on a legacy or hybrid host
		{"cgroup2", func(t *testing.T) *Controller { return newV2TestController(t, false) }}, // cgroup.events
	} {
		t.Run(h.name, func(t *testing.T) { checkWaitEmpty(t, h.new(t)) })
	}
}

// checkWaitEmpty checks that Delete waits for the last process of a group
// to leave, and that a wait for a process that stays ends at its timeout.
func checkWaitEmpty(t *testing.T, c *Controller) {
	g, err := c.Create("waiter", Spec{})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	t.Cleanup(func() { g.Delete() })
	cmd := startIn(t, g, "/bin/sleep", "1000")
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		time.Sleep(100 * time.Millisecond)
		killGroup(cmd)
	}()
	if err := g.Delete(); err != nil {
		t.Errorf("Delete while its last process is being killed = %v, want it to wait for it and remove the group", err)
	}
	<-killed
	checkGone(t, g)
	g, err = c.Create("waiter", Spec{})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	cmd = startIn(t, g, "/bin/sleep", "1000")
	err = g.waitEmpty(50 * time.Millisecond)
	if want := fmt.Sprintf("still has processes [%d]", cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("waitEmpty with a process that stays = %v, want %q", err, want)
	}
	killGroup(cmd)
	if err := g.waitEmpty(5 * time.Second); err != nil {
		t.Errorf("waitEmpty after the process was killed = %v", err)
	}
}
