package syscallfilter

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func init() {
	roles["notifier"] = notifierRole
	roles["notified"] = notifiedRole
}

// answeredVal is what the notifier returns for the first native sysinfo.
const answeredVal = 7

// TestInstallThreadNotify runs an init that filters one locked thread with
// a listener, serves it from another thread, and forks a guest that calls
// sysinfo: the first call gets the notifier's answer, the second runs in
// the kernel (CONTINUE), the third fails with the notifier's errno, and
// on x86_64 a 32-bit caller's is handed over
// too, with its own ABI.
func TestInstallThreadNotify(t *testing.T) {
	requireRoot(t)
	requireSeccomp(t)
	var stderr bytes.Buffer
	cmd := roleCommand("/proc/self/exe", "notifier")
	cmd.Stdout, cmd.Stderr = nil, &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("notifier: %v\n%s%s", err, out, stderr.String())
	}
	facts := parseFacts(string(out))
	if facts["notifier.listener"] == "unsupported" {
		t.Skipf("this kernel cannot hand calls to a listener: %s", facts["notifier.why"])
	}
	want := map[string]string{
		"notifier.listener":             "ok",
		"notifier.thread.seccomp":       "2",
		"notified.seccomp":              "2",
		"notified.native":               fmt.Sprint(answeredVal),
		"notified.continue":             "ok",
		"notified.listener_inherited":   "no",
		"notified.keyctl":               "EPERM",
		"served.native.1":               "sysinfo/8/valid",
		"served.native.2":               "sysinfo/8/valid",
		"served.native.3":               "sysinfo/8/valid",
		"notified.fail":                 "EACCES",
		"notifier.other_thread.sysinfo": "ok",
	}
	if runtime.GOARCH == "amd64" && facts["notified.i386.sysinfo"] != "no ia32 emulation" {
		want["notified.i386.sysinfo"] = "ok" // the kernel would say EFAULT
		want["served.i386.1"] = "sysinfo/4/valid"
	}
	got := map[string]string{}
	for k := range want {
		got[k] = facts[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("facts differ (-want +got):\n%s\nall output:\n%s%s", diff, out, stderr.String())
	}
}

// notifierRole is a guest's init with a listener: it filters its locked
// thread, serves the listener from other threads, and forks the guest.
func notifierRole() error {
	runtime.LockOSThread() // never unlocked: the thread carries the filter
	l, err := InstallThreadNotify()
	if errors.Is(err, ErrNoNotify) {
		report("notifier.listener", "unsupported")
		report("notifier.why", err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	report("notifier.listener", "ok")
	report("notifier.thread.seccomp", statusField("/proc/thread-self/status", "Seccomp"))
	onOtherThread(func() {
		var si unix.Sysinfo_t
		report("notifier.other_thread.sysinfo", result(unix.Sysinfo(&si)))
	})
	go serveTestListener(l)
	return roleCommand("/proc/self/exe", "notified").Run()
}

// serveTestListener answers the first native sysinfo with answeredVal,
// fails the third with EACCES and lets the others run; it answers 32-bit
// callers' with 0.
func serveTestListener(l *Listener) {
	counts := map[string]int{}
	for {
		n, err := l.Receive()
		if err != nil {
			report("served.error", err.Error())
			return
		}
		name, size, ok := NotifiedCall(n.Arch, n.Nr)
		abi := "native"
		if size == 4 && runtime.GOARCH == "amd64" {
			abi = "i386"
		}
		counts[abi]++
		valid := "invalid"
		if l.Valid(n.ID) {
			valid = "valid"
		}
		report(fmt.Sprintf("served.%s.%d", abi, counts[abi]), fmt.Sprintf("%s/%d/%s", name, size, valid))
		switch {
		case !ok:
			err = l.Continue(n.ID)
		case abi == "i386":
			err = l.Return(n.ID, 0)
		case counts[abi] == 1:
			err = l.Return(n.ID, answeredVal)
		case counts[abi] == 3:
			err = l.Fail(n.ID, unix.EACCES)
		default:
			err = l.Continue(n.ID)
		}
		if err != nil {
			report("served.answer_error", err.Error())
		}
	}
}

// notifiedRole is a guest process under the filter with a listener.
func notifiedRole() error {
	report("notified.seccomp", statusField("/proc/self/status", "Seccomp"))
	r, _, errno := unix.Syscall(unix.SYS_SYSINFO, 0, 0, 0)
	if errno != 0 {
		report("notified.native", unix.ErrnoName(errno))
	} else {
		report("notified.native", fmt.Sprint(r))
	}
	var si unix.Sysinfo_t
	err := unix.Sysinfo(&si)
	if err == nil && si.Totalram == 0 {
		err = errors.New("totalram 0")
	}
	report("notified.continue", result(err))
	_, _, errno = unix.Syscall(unix.SYS_SYSINFO, 0, 0, 0)
	report("notified.fail", unix.ErrnoName(errno))
	report("notified.listener_inherited", listenerInherited())
	report("notified.keyctl", result(probeKeyctl()))
	if runtime.GOARCH == "amd64" {
		dir, err := os.MkdirTemp("", "syscallfilter-i386-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		report("notified.i386.sysinfo", runI386(filepath.Join(dir, "sysinfo"), i386Probe{"sysinfo", 116, [3]uint32{}}))
	}
	return nil
}

// listenerInherited says whether this process holds a seccomp listener.
func listenerInherited() string {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err.Error()
	}
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if strings.Contains(target, "seccomp") {
			return "yes: fd " + e.Name()
		}
	}
	return "no"
}
