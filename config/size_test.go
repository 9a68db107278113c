package config

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"1048576", MiB},
		{"0", 0},
		{"512MiB", 512 * MiB},
		{"512mib", 512 * MiB},
		{"1GiB", GiB},
		{"100M", 100 * MiB},
		{"2G", 2 * GiB},
		{"2g", 2 * GiB},
		{"64KiB", 64 * KiB},
		{"64k", 64 * KiB},
		{"1T", TiB},
		{"1TiB", TiB},
		{"100MB", 100_000_000},
		{"1kb", 1000},
		{"2GB", 2_000_000_000},
		{"1TB", 1_000_000_000_000},
		{"1.5GiB", GiB + 512*MiB},
		{"1024B", KiB},
		{" 512 MiB ", 512 * MiB},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `"" is not a size; write bytes or a number with a unit, like 512MiB, 1GiB, 100M or 1048576`},
		{"lots", `"lots" is not a size`},
		{"-1", `"-1" is not a size`},
		{"1PiB", `"1PiB" is not a size`},
		{"MiB", `"MiB" is not a size`},
		{"1.2.3M", `"1.2.3M" is not a size`},
		{"0.5", `"0.5" is not a whole number of bytes`},
		{"9999999999T", `"9999999999T" is too large for a size`},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSize(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1000"},
		{KiB, "1KiB"},
		{1536, "1536"},
		{512 * MiB, "512MiB"},
		{GiB + 512*MiB, "1536MiB"},
		{4 * GiB, "4GiB"},
		{2 * TiB, "2TiB"},
		{1024 * TiB, "1024TiB"},
		{-2 * MiB, "-2MiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if back, err := ParseSize(tt.want); tt.in >= 0 && (err != nil || back != tt.in) {
			t.Errorf("ParseSize(%q) = %v, %v, want %v", tt.want, back, err, tt.in)
		}
	}
}

func TestSizeYAML(t *testing.T) {
	var v struct{ M Size }
	if err := yaml.Unmarshal([]byte("m: 512MiB\n"), &v); err != nil || v.M != 512*MiB {
		t.Errorf("yaml.Unmarshal(%q) = %v, %v, want %v", "m: 512MiB", v.M, err, 512*MiB)
	}
	err := yaml.Unmarshal([]byte("m: [1]\n"), &v)
	if err == nil || !strings.Contains(err.Error(), "expected a size such as 512MiB") {
		t.Errorf("yaml.Unmarshal(%q) = %v, want an error saying what a size is", "m: [1]", err)
	}
	out, err := yaml.Marshal(struct{ M Size }{3 * GiB})
	if err != nil || string(out) != "m: 3GiB\n" {
		t.Errorf("yaml.Marshal(3GiB) = %q, %v, want %q", out, err, "m: 3GiB\n")
	}
}
