package kubetest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary, run again, start a process and wait to be
// killed.
const childEnv = "KUBETEST_PROCESS_CHILD"

// TestProcessDiesWithTestBinary kills -9 a test binary that started a
// process (no cleanup runs) and checks that the process dies with it.
func TestProcessDiesWithTestBinary(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		p, err := startProcess("sleep", "/bin/sleep", filepath.Join(dir, "sleep.log"), []string{"600"})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("pid", p.cmd.Process.Pid)
		select {}
	}
	child := exec.Command(os.Args[0], "-test.run=^TestProcessDiesWithTestBinary$")
	child.Env = append(os.Environ(), childEnv+"="+t.TempDir())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "pid ") {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("the child said %q (%v), want its process's pid", line, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
	if err != nil {
		t.Fatal(err)
	}
	child.Process.Kill()
	child.Wait()
	eventually(t, 5*time.Second, "sleep gone with its test binary", func() (bool, string) {
		err := syscall.Kill(pid, 0)
		return errors.Is(err, syscall.ESRCH), fmt.Sprintf("kill %d 0: %v", pid, err)
	})
}
