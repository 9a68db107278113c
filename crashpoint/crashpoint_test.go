package crashpoint

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// childEnv makes the test binary, run again, pass the points it names to At.
const childEnv = "CRASHPOINT_TEST_AT"

func TestMain(m *testing.M) {
	if p, ok := os.LookupEnv(childEnv); ok {
		At("some-other-point")
		At(p)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestAt(t *testing.T) {
	for _, tt := range []struct {
		chosen, reached string
		killed          bool
	}{
		{"stop-after-exit", "stop-after-exit", true},
		{"stop-after-exit", "stop-after-signal", false},
		{"", "", false},
		{"", "stop-after-exit", false},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), Env+"="+tt.chosen, childEnv+"="+tt.reached)
		err := cmd.Run()
		var exit *exec.ExitError
		killed := errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		if killed != tt.killed || !killed && err != nil {
			t.Errorf("%s=%q reaching %q: %v; want killed by SIGKILL %v", Env, tt.chosen, tt.reached, err, tt.killed)
		}
	}
}
