package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, content := range []string{"first", "second"} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("after WriteFile(%q): read %q, %v", content, got, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temporary left)", len(entries))
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "f"), nil, 0o600); err == nil {
		t.Error("WriteFile into a missing directory succeeded, want an error")
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	files := map[string]bool{ // name: kept
		"state.json":          true,
		".state.json.tmp-123": false,
		".state.json.tmp-":    false,
		".other.json.tmp-1":   true,
		"state.json.tmp-1":    true,
		".state.json.tmpx":    true,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".state.json.tmp-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	files[".state.json.tmp-dir"] = true // not a file WriteFile makes
	removed, err := RemoveTemps(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".state.json.tmp-", ".state.json.tmp-123"}; !slices.Equal(removed, want) {
		t.Errorf("RemoveTemps(%q) = %q, want %q", path, removed, want)
	}
	for name, kept := range files {
		if _, err := os.Lstat(filepath.Join(dir, name)); (err == nil) != kept {
			t.Errorf("after RemoveTemps, %s: %v; want kept %v", name, err, kept)
		}
	}
}
