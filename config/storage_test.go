package config

import (
	"strings"
	"testing"
)

func TestParseStorage(t *testing.T) {
	const users = "users: {bob: {keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEU3mISydPQCjEogYKKmOjYIhONMRSnjC7VazlDy6qby bob@desk\"]}}\n"
	for _, tt := range []struct {
		text    string
		want    Storage
		wantErr string
	}{
		{"", Storage{Reserve: 256 * MiB, ReserveInodes: Amount{Percent: 1}}, ""},
		{"storage: {reserve: 1GiB}\n", Storage{Reserve: GiB, ReserveInodes: Amount{Percent: 1}}, ""},
		{"storage: {reserve: 0, reserve_inodes: 0}\n", Storage{}, ""},
		{"storage: {reserve_inodes: 5000}\n", Storage{Reserve: 256 * MiB, ReserveInodes: Amount{N: 5000}}, ""},
		{"storage: {reserve_inodes: 2.5%}\n", Storage{Reserve: 256 * MiB, ReserveInodes: Amount{Percent: 2.5}}, ""},
		{"storage: {reserve_inodes: -1}\n", Storage{}, "c.yaml:1: storage.reserve_inodes: \"-1\" is not a number or a percentage; write it like 10000 or 1%"},
		{"storage: {reserve_inodes: 101%}\n", Storage{}, "c.yaml:1: storage.reserve_inodes: \"101%\" is not a percentage from 0% to 100%"},
		{"storage: {reserve_inodes: [1]}\n", Storage{}, "storage.reserve_inodes"},
		{"storage: {reserve: lots}\n", Storage{}, "c.yaml:1: storage.reserve: \"lots\" is not a size"},
	} {
		c, err := testLoader.Parse("/c.yaml", []byte(tt.text+users))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tt.text, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.Storage != tt.want {
			t.Errorf("Parse(%q): storage = %+v, %v; want %+v", tt.text, c.Storage, err, tt.want)
		}
	}
}

func TestAmountOf(t *testing.T) {
	for _, tt := range []struct {
		a     Amount
		total uint64
		want  uint64
	}{
		{Amount{N: 5000}, 100, 5000},
		{Amount{Percent: 1}, 1000, 10},
		{Amount{Percent: 1}, 1001, 11},
		{Amount{Percent: 0.5}, 3, 1},
		{Amount{}, 1000, 0},
		{Amount{Percent: 100}, 7, 7},
	} {
		if got := tt.a.Of(tt.total); got != tt.want {
			t.Errorf("%v.Of(%d) = %d, want %d", tt.a, tt.total, got, tt.want)
		}
	}
}
