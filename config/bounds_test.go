package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseIncomplete(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", `c.yaml: the file is empty; a configuration needs at least users:`},
		{" \n\n\t\n", `c.yaml: the file is empty`},
		{"# nothing but a comment\n", `c.yaml: users: no user is defined, so no one could log in; add at least one`},
		{"---\n", `c.yaml: users: no user is defined`},
		{"~\n", `c.yaml: users: no user is defined`},
		{"listen: 0.0.0.0:2222\n", `c.yaml: users: no user is defined`},
		{"listen: 0.0.0.0:2222\nusers:\n", `c.yaml:2: users: no user is defined`},
		{"listen: 0.0.0.0:2222\nusers: {}\n", `c.yaml:2: users: no user is defined`},
		{"listen: 0.0.0.0:2222\nusers: ~\n", `c.yaml:2: users: no user is defined`},
	}
	for _, tt := range tests {
		_, err := testLoader.Parse("c.yaml", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

// laughs is a billion laughs: ten aliases, each of ten of the one before.
func laughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String() + "users: {bob: {keys: *a9}}\n"
}

// nested returns a value nested n levels deep, flow style.
func nested(n int) string {
	return "users: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\n"
}

func TestParseBounds(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"too big", "users: {}\n#" + strings.Repeat("x", MaxFileSize), `c.yaml: the file is larger than 4 MiB, the most a configuration may be`},
		{"too many items", "users: [" + strings.Repeat("a,", maxItems) + "]\n", `c.yaml: the file has 100003 lines and list or map items, more than the 100000`},
		{"too many lines", strings.Repeat("\n", maxItems) + "users: {}\n", `more than the 100000 a configuration may have`},
		{"billion laughs", laughs(), `users.bob.keys[0]: expected a string, found a list`},
		{"deep", nested(5000), `c.yaml:1: unknown key "a" in users.a`},
		{"deep flow", strings.Repeat("[", 50_000), `c.yaml`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := testLoader.Parse("c.yaml", []byte(tt.in))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%.60q...) = %.300v, want an error containing %q", tt.in, err, tt.want)
			}
			if n := strings.Count(err.Error(), "\n"); n > 20 {
				t.Errorf("Parse(%.60q...) made %d error lines, want a few", tt.in, n)
			}
			const most = 64 << 20
			if got := after.TotalAlloc - before.TotalAlloc; got > most {
				t.Errorf("Parse(%.60q...) allocated %d MiB, want at most %d MiB", tt.in, got>>20, most>>20)
			}
		})
	}
}

func TestLoadHugeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil { // 50 MiB of NULs, sparse
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = testLoader.Load(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "the file is larger than 4 MiB, the most a configuration may be") {
		t.Errorf("Load(50 MiB file) = %v, want it refused for its size", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("Load(50 MiB file) allocated %d MiB, want it read no further than its bound", got>>20)
	}
}
