package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

func TestAdminCommandParse(t *testing.T) {
	tests := []struct {
		args       []string
		wantArgs   []string
		wantRest   []string
		wantConfig string
		wantT      bool
	}{
		{[]string{"alice"}, []string{"alice"}, nil, "/etc/vmhost/config.yaml", false},
		{[]string{"alice", "--config", "c.yaml", "-t", "--", "ls", "-l"}, []string{"alice"}, []string{"ls", "-l"}, "c.yaml", true},
		{[]string{"--config", "c.yaml", "alice", "--", "--config"}, []string{"alice"}, []string{"--config"}, "c.yaml", false},
		{[]string{"-t", "alice", "--"}, []string{"alice"}, []string{}, "/etc/vmhost/config.yaml", true},
	}
	for _, tt := range tests {
		c := newAdminCommand("test", "test", "", false)
		tty := c.fs.Bool("t", false, "")
		if code := c.parse(tt.args, 1, 1); code >= 0 {
			t.Errorf("parse(%q) = exit %d", tt.args, code)
			continue
		}
		if !cmp.Equal(c.args, tt.wantArgs) || !cmp.Equal(c.rest, tt.wantRest) || *c.config != tt.wantConfig || *tty != tt.wantT {
			t.Errorf("parse(%q) = args %q rest %q config %q -t %v; want %q %q %q %v",
				tt.args, c.args, c.rest, *c.config, *tty, tt.wantArgs, tt.wantRest, tt.wantConfig, tt.wantT)
		}
	}
	c := newAdminCommand("test", "test", "", false)
	c.fs.SetOutput(new(nopWriter))
	if code := c.parse([]string{"a", "b"}, 1, 1); code != 2 {
		t.Errorf("parse of two names for one = exit %d, want 2", code)
	}
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestSocketPath(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ text, want string }{
		{"run_dir: /srv/run\nusers: {bad: [}", ""}, // not YAML: an error
		{"run_dir: /srv/run\nlisten: nonsense\n", "/srv/run/vmhostd.sock"},
		{"run_dir: run\n", filepath.Join(dir, "run", "vmhostd.sock")},
		{"listen: 0.0.0.0:22\n", filepath.Join(config.DefaultRunDir, "vmhostd.sock")},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := socketPath(path)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("socketPath(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

func TestRestartOnly(t *testing.T) {
	a := &config.Config{Listen: "0.0.0.0:22", DataDir: "/d", RunDir: "/r", Network: config.Network{Bridge: "b"}}
	b := *a
	b.Network.Bridge = "c"
	b.Users = map[string]config.User{"alice": {}}
	if got := restartOnly(a, &b); !cmp.Equal(got, []string{"network"}) {
		t.Errorf("restartOnly = %q, want [network]", got)
	}
	b.Guests.View = config.ViewNone
	if got := restartOnly(a, &b); !cmp.Equal(got, []string{"network", "guests"}) {
		t.Errorf("restartOnly with guests.view changed = %q, want [network guests]", got)
	}
}
