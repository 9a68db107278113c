package guestinit

import (
	"os"
	"path/filepath"
	"testing"
	"vmhost/protocol"
)

// TestMain runs the test binary in the helper roles the spawner starts it
// in (from /proc/self/exe), as cmd/vmhostd does.
func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case protocol.IncubatorName:
		RunIncubator()
	case protocol.NetHelperName:
		RunNetHelper()
	case protocol.SFTPName:
		RunSFTP()
	}
	os.Exit(m.Run())
}
