package kubetest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// RequireBinaries skips the test, naming `make kube-bins`, when the control
// plane's binaries are not built on this machine.
func RequireBinaries(tb testing.TB) {
	tb.Helper()
	if _, err := findBinaries(BinDir()); err != nil {
		tb.Skip(err)
	}
}

// ForTest starts a control plane of the test's own, with its files in a
// temporary directory; the test's cleanup stops every process and removes
// the directory, after logging the end of each log if the test failed.
func ForTest(tb testing.TB, opts Options) *ControlPlane {
	tb.Helper()
	RequireBinaries(tb)
	cp, err := Start(tb.TempDir(), opts)
	if err != nil {
		tb.Fatalf("starting a control plane: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("the control plane's logs end with:\n%s", cp.LogTails(30))
		}
		cp.Stop()
	})
	return cp
}

// shared is the control plane the tests of one test binary share: started
// by the first test that asks, stopped when Main's tests are done.
var shared struct {
	sync.Mutex
	inMain bool
	cp     *ControlPlane
	err    error
	dir    string
}

// Main runs the tests of m, then stops the control plane Shared started, if
// any, and removes its files. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }
func Main(m *testing.M) int {
	shared.Lock()
	shared.inMain = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.cp != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "the shared control plane's logs end with:\n%s", shared.cp.LogTails(30))
		}
		shared.cp.Stop()
	}
	if shared.dir != "" {
		if err := os.RemoveAll(shared.dir); err != nil {
			fmt.Fprintf(os.Stderr, "removing the shared control plane's files: %v\n", err)
		}
	}
	return code
}

// Shared returns the control plane the tests of this test binary share,
// starting it (with default Options) on first use. Tests that share it keep
// apart by their own namespaces, node names and labels. It needs TestMain
// to call Main, which stops it; it skips like RequireBinaries.
func Shared(tb testing.TB) *ControlPlane {
	tb.Helper()
	RequireBinaries(tb)
	shared.Lock()
	defer shared.Unlock()
	if !shared.inMain {
		tb.Fatal("kubetest.Shared needs TestMain to call kubetest.Main(m), which stops the control plane")
	}
	if shared.cp == nil && shared.err == nil {
		shared.cp, shared.dir, shared.err = startShared()
	}
	if shared.err != nil {
		tb.Fatalf("starting the shared control plane: %v", shared.err)
	}
	return shared.cp
}

// startShared starts the shared control plane in a new temporary directory.
func startShared() (*ControlPlane, string, error) {
	dir, err := os.MkdirTemp("", "kubetest-")
	if err != nil {
		return nil, "", fmt.Errorf("making the control plane's directory: %w", err)
	}
	cp, err := Start(dir, Options{})
	if err != nil {
		return nil, dir, err
	}
	return cp, dir, nil
}
