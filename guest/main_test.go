package guest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain runs the test binary as a guest's init when it is started as one:
// the privileged tests start guests from a sealed copy of this binary.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == InitName {
		RunInit()
	}
	os.Exit(m.Run())
}
