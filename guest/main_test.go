package guest

import (
	"os"
	"path/filepath"
	"testing"
	"vmhost/guestinit"
	"vmhost/protocol"
)

// TestMain runs the test binary as a guest's init when it is started as one:
// the privileged tests start guests from a sealed copy of this binary.
func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case protocol.InitName:
		guestinit.RunInit()
	case protocol.SFTPName:
		guestinit.RunSFTP()
	case protocol.IncubatorName:
		guestinit.RunIncubator()
	case protocol.NetHelperName:
		guestinit.RunNetHelper()
	case UsernsHolderName:
		RunUsernsHolder()
	}
	os.Exit(m.Run())
}
