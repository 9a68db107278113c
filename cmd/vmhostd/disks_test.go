package main

import (
	"testing"

	"vmhost/config"
)

func TestDiskLimitKey(t *testing.T) {
	tests := []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{}, ""},
		{config.Config{Defaults: config.Defaults{Limits: config.Limits{Memory: config.GiB}}}, ""},
		{config.Config{Defaults: config.Defaults{Limits: config.Limits{Disk: config.GiB}}}, "defaults.limits"},
		{config.Config{Users: map[string]config.User{
			"bob":   {Limits: config.Limits{Inodes: 5000, Disk: config.GiB}},
			"alice": {Limits: config.Limits{Disk: config.GiB}},
			"carol": {},
		}}, "users.alice.limits"},
	}
	for _, tt := range tests {
		if got := diskLimitKey(&tt.cfg); got != tt.want {
			t.Errorf("diskLimitKey(%+v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}
