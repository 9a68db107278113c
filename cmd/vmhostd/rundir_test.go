package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSearchable(t *testing.T) {
	base, err := os.MkdirTemp("/tmp", "vmhost-searchable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open", "run")
	private := filepath.Join(base, "private")
	shut := filepath.Join(private, "run")
	for _, d := range []string{open, shut} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(base, "open"), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := checkSearchable("run_dir", open); err != nil {
		t.Errorf("checkSearchable(%s) = %v, want nil", open, err)
	}
	err = checkSearchable("run_dir", shut)
	if err == nil || !strings.Contains(err.Error(), "chmod o+x "+private) {
		t.Errorf("checkSearchable(%s) = %v, want an error naming %s and what to do", shut, err, private)
	}
}
