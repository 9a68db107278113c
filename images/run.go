package images

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// tailLines is how many of a command's last lines its error repeats.
const tailLines = 5

// runStreaming runs exe with args in a process group of its own, writes
// each line of its output (stdout and stderr) to progress, and returns an
// error with its last lines if it fails. Cancelling ctx kills the whole
// group, with the children that debootstrap runs in the chroot.
func runStreaming(ctx context.Context, exe string, args []string, progress io.Writer) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return err
	}
	tail := streamLines(pr, progress)
	pr.Close()
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("stopped: %w", context.Cause(ctx))
		}
		return fmt.Errorf("%v; its last lines: %s", err, strings.Join(tail, " | "))
	}
	return nil
}

// streamLines copies the lines of r to w until r ends, and returns the last
// tailLines of them.
func streamLines(r io.Reader, w io.Writer) []string {
	var tail []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(w, line)
		tail = append(tail, line)
		if len(tail) > tailLines {
			tail = tail[1:]
		}
	}
	io.Copy(io.Discard, r) // a line too long: drain, so the command never blocks
	return tail
}

// showLogTail writes the last lines of the log file at path to progress, if
// there is one: debootstrap's own log says what went wrong, and it goes away
// with the failed build.
func showLogTail(path string, progress io.Writer) {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	lines = lines[max(0, len(lines)-2*tailLines):]
	fmt.Fprintf(progress, "last lines of %s:\n", path)
	for _, l := range lines {
		fmt.Fprintln(progress, "  "+l)
	}
}
