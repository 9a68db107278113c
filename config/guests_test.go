package config

import (
	"strings"
	"testing"
)

func TestParseGuests(t *testing.T) {
	const users = "users: {bob: {keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEU3mISydPQCjEogYKKmOjYIhONMRSnjC7VazlDy6qby bob@desk\"]}}\n"
	for _, tt := range []struct {
		text    string
		want    Guests
		wantErr string
	}{
		{"", Guests{View: ViewLXCFS}, ""},
		{"guests: {view: lxcfs}\n", Guests{View: ViewLXCFS}, ""},
		{"guests: {view: none}\n", Guests{View: ViewNone}, ""},
		{"guests: {view: \"\"}\n", Guests{}, "c.yaml:1: guests.view: \"\" is not a view; write lxcfs (the default) or none"},
		{"guests: {view: fuse}\n", Guests{}, "c.yaml:1: guests.view: \"fuse\" is not a view"},
		{"guests: {vieww: none}\n", Guests{}, "vieww"},
	} {
		c, err := testLoader.Parse("/c.yaml", []byte(tt.text+users))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tt.text, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.Guests != tt.want {
			t.Errorf("Parse(%q): guests = %+v, %v; want %+v", tt.text, c.Guests, err, tt.want)
		}
	}
}
