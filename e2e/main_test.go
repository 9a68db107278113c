package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Paths of the OpenSSH client tools the tests drive.
const (
	sshPath       = "/usr/bin/ssh"
	sshKeygenPath = "/usr/bin/ssh-keygen"
)

// daemonBin is the vmhostd binary built once for the whole run.
var daemonBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests checks what the tests need, builds vmhostd and runs the tests.
func runTests(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Println("skipping: e2e tests need root (they run real namespaces)")
		return 0
	}
	for _, p := range []string{sshPath, sshKeygenPath} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v: install openssh-client (make deps does)\n", err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "vmhost-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := makeHostKeys(dir); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	daemonBin = filepath.Join(dir, "vmhostd")
	if err := buildDaemon(daemonBin); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer removeSharedDebian()
	return m.Run()
}

// buildDaemon builds vmhostd into out.
func buildDaemon(out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(goTool, "build", "-buildvcs=false", "-o", out, "vmhost/cmd/vmhostd")
	// Static, as make build makes it: guests run it again inside their root.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building vmhostd: %w\n%s", err, b)
	}
	return nil
}
