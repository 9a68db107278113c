package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Red team attacks on the guest's init beyond init-tamper: other ways into
// its memory and descriptors, ways to change it without ptrace, and a race
// against the processes it is forking.
func init() {
	register("red-init-reach", redInitReach)
	register("red-init-nested", redInitNested)
	register("red-spawn-race", redSpawnRace)
}

// redInitReach tries process_vm_readv, /proc/1/task/*/fd, /proc/1/root,
// /proc/1/cwd, /proc/1/exe, /proc/1/map_files and kcmp on PID 1.
func redInitReach([]string) error {
	buf := make([]byte, 16)
	local := []unix.Iovec{{Base: &buf[0], Len: 16}}
	remote := []unix.RemoteIovec{{Base: 0x400000, Len: 16}}
	_, err := unix.ProcessVMReadv(1, local, remote, 0)
	report("process_vm_readv", errName(err))
	tasks, _ := os.ReadDir("/proc/1/task")
	report("tasks", len(tasks))
	taskFD := "none"
	for _, t := range tasks {
		for fd := 0; fd < 12; fd++ {
			f, err := os.Open("/proc/1/task/" + t.Name() + "/fd/" + strconv.Itoa(fd))
			if err == nil {
				f.Close()
				taskFD = "ok"
			} else if taskFD == "none" && !os.IsNotExist(err) {
				taskFD = errName(err)
			}
		}
	}
	report("task_fd_open", taskFD)
	for _, p := range []string{"root", "cwd", "exe"} {
		_, err := os.Readlink("/proc/1/" + p)
		report("readlink_"+p, errName(err))
	}
	_, err = os.ReadDir("/proc/1/map_files")
	report("map_files", errName(err))
	_, err = os.ReadFile("/proc/1/maps")
	report("maps", errName(err))
	_, err = os.ReadFile("/proc/1/stack")
	report("stack", errName(err))
	_, err = os.ReadFile("/proc/1/syscall")
	report("syscall", errName(err))
	_, _, e := unix.Syscall6(unix.SYS_KCMP, 1, uintptr(os.Getpid()), 0 /* KCMP_FILE */, 0, 0, 0)
	report("kcmp", errName(errnoOrNil(e)))
	return nil
}

// redInitNested makes a child in a new user namespace (full capabilities
// there) and has it ptrace PID 1 and pidfd_getfd its descriptors.
func redInitNested([]string) error {
	if len(os.Args) > 2 && os.Args[2] == "child" {
		runtime.LockOSThread()
		report("nested_caps", capEff())
		report("nested_ptrace", errName(ptraceSeize(1)))
		report("nested_getfd", pidfdGetfd())
		return nil
	}
	cmd := exec.Command("/proc/self/exe", "red-init-nested", "child")
	cmd.SysProcAttr = nestedUserns()
	out, err := cmd.CombinedOutput()
	os.Stdout.Write(out)
	if err != nil {
		report("nested_run", errName(err))
	}
	return nil
}

// capEff is the CapEff line of the caller's status.
func capEff() string {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// redSpawnRace watches for new children of PID 1 for SECONDS and tries, as
// soon as one shows, to take its descriptors (pidfd_getfd) and attach to it,
// between the init's fork and the child's exec. It reports how many
// children it saw, how many descriptors it took, and what they were.
//
//	red-spawn-race SECONDS
func redSpawnRace(args []string) error {
	secs := intArg(args, 0, 10)
	runtime.LockOSThread()
	seen := map[int]bool{}
	took := map[string]int{}
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	me := os.Getpid()
	for time.Now().Before(deadline) {
		ents, err := os.ReadDir("/proc")
		if err != nil {
			return err
		}
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid <= 1 || pid == me || seen[pid] {
				continue
			}
			seen[pid] = true
			pfd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				continue
			}
			for fd := 0; fd < 12; fd++ {
				got, err := unix.PidfdGetfd(pfd, fd, 0)
				if err != nil {
					continue
				}
				link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(got))
				if strings.HasPrefix(link, "socket:") || strings.HasPrefix(link, "/memfd") || strings.HasPrefix(link, "anon_inode") {
					took[kindOf(link)]++
				}
				unix.Close(got)
			}
			unix.Close(pfd)
		}
	}
	report("seen", len(seen))
	for k, n := range took {
		report("took_"+k, n)
	}
	return nil
}

// kindOf names a descriptor link by its kind.
func kindOf(link string) string {
	k, _, _ := strings.Cut(link, ":")
	return strings.Trim(k, "/[]")
}

// errnoOrNil turns a raw errno into an error, nil for 0.
func errnoOrNil(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

var _ = unsafe.Pointer(nil)

// nestedUserns is a child in a new user namespace with root mapped to the
// caller's root.
func nestedUserns() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
	}
}
