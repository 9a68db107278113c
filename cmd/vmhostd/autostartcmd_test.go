package main

import (
	"strings"
	"testing"

	"vmhost/admin"
)

func TestParseAutostart(t *testing.T) {
	for word, want := range map[string]string{"on": "true", "off": "false", "default": "nil"} {
		on, err := parseAutostart(word)
		got := "nil"
		if on != nil {
			got = map[bool]string{true: "true", false: "false"}[*on]
		}
		if err != nil || got != want {
			t.Errorf("parseAutostart(%q) = %s, %v; want %s", word, got, err, want)
		}
	}
	for _, word := range []string{"", "yes", "true", "ON"} {
		if _, err := parseAutostart(word); err == nil || !strings.Contains(err.Error(), "write on, off, or default") {
			t.Errorf("parseAutostart(%q) = %v, want an error saying what to write", word, err)
		}
	}
}

func TestAutostartText(t *testing.T) {
	tests := []struct {
		g    admin.Guest
		want string
	}{
		{admin.Guest{Autostart: true, AutostartOwn: true}, "on (the guest's own)"},
		{admin.Guest{Autostart: false, AutostartOwn: true}, "off (the guest's own)"},
		{admin.Guest{Autostart: true}, "on (its owner's)"},
		{admin.Guest{}, "off (its owner's)"},
	}
	for _, tt := range tests {
		if got := autostartText(tt.g); got != tt.want {
			t.Errorf("autostartText(%+v) = %q, want %q", tt.g, got, tt.want)
		}
	}
}
