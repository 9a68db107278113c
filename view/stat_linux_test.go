package view

import (
	"os"
	"path/filepath"
	"testing"

	"vmhost/view/procstat"
)

// TestMain runs the test binary as the /proc/stat server when it is
// started under StatServerName, as vmhostd is.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == StatServerName {
		os.Exit(procstat.Run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestStatServerLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to mount FUSE file systems")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("skipping: no /dev/fuse")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	checkLifecycle(t, StatKind("/vmhost-viewtest"), bin)
}
