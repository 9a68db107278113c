package guest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// UsernsHolderName is the argv[0] under which the daemon starts its own
// binary in a new user namespace with a guest's id range, only to hold
// that namespace while an idmapped mount is made from it, before the
// guest's init (whose namespace it would otherwise be) exists. The holder
// waits for its standard input to close, then exits.
const UsernsHolderName = "vmhost-userns"

// RunUsernsHolder is the holder's whole life. It never returns.
func RunUsernsHolder() {
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// newUserns returns a user namespace mapping ids 0..size-1 to base..,
// held by a short-lived holder started from exe, which has ended when
// newUserns returns; the namespace lives on as long as the returned file
// is open.
// Equivalent to: unshare --user --map-users=0:BASE:SIZE --map-groups=0:BASE:SIZE
func newUserns(exe *SealedExe, base, size uint32) (*os.File, error) {
	if exe == nil {
		return nil, fmt.Errorf("no binary to hold a user namespace with")
	}
	m := []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(base), Size: int(size)}}
	cmd := &exec.Cmd{
		Path: exe.Path(),
		Args: []string{UsernsHolderName},
		Env:  []string{"GOMAXPROCS=1"},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: m, GidMappings: m,
			Pdeathsig: syscall.SIGKILL,
		},
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a user namespace holder: %w", err)
	}
	// The namespace is the child's from its clone on: it can be opened
	// while the child runs, whatever it is doing.
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid))
	stdin.Close()
	if werr := cmd.Wait(); werr != nil && err == nil {
		ns.Close()
		return nil, fmt.Errorf("the user namespace holder: %w", werr)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the holder's user namespace: %w", err)
	}
	return ns, nil
}
