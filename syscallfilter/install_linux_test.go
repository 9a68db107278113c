package syscallfilter

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// requireRoot skips a test that needs root.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root (CAP_SYS_ADMIN to install a filter without no_new_privs)")
	}
}

// requireSeccomp skips a test on a kernel without seccomp filters.
func requireSeccomp(tb testing.TB) {
	tb.Helper()
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		tb.Skipf("needs a kernel with seccomp: PR_GET_SECCOMP: %v", err)
	}
}

func TestConstantsMatchTheKernelHeaders(t *testing.T) {
	got := []int{errnoEPERM, errnoENOSYS, afALG, afVSOCK, mntForce, retAllow, retErrno}
	want := []int{int(unix.EPERM), int(unix.ENOSYS), unix.AF_ALG, unix.AF_VSOCK, unix.MNT_FORCE,
		unix.SECCOMP_RET_ALLOW, unix.SECCOMP_RET_ERRNO}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constants differ from x/sys/unix (-want +got):\n%s", diff)
	}
}

// TestInstallThread runs an init that filters one locked thread and forks a
// guest from it, and checks what each of them may do.
func TestInstallThread(t *testing.T) {
	requireRoot(t)
	requireSeccomp(t)
	var stderr bytes.Buffer
	cmd := roleCommand("/proc/self/exe", "installer")
	cmd.Stdout, cmd.Stderr = nil, &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("installer: %v\n%s%s", err, out, stderr.String())
	}
	facts := parseFacts(string(out))
	want, unchecked := wantedFacts(facts)
	for _, key := range unchecked {
		t.Logf("%s not checked on this host: %s", key, facts[key])
	}
	if diff := cmp.Diff(want, pick(facts, wantedKeys())); diff != "" {
		t.Errorf("facts differ (-want +got):\n%s\nall output:\n%s%s", diff, out, stderr.String())
	}
	for _, p := range deniedProbes {
		if facts["unfiltered."+p.name] == "EPERM" {
			t.Logf("%s: EPERM without the filter too on this host, so its check proves little", p.name)
		}
	}
}

// wantedFacts returns the facts the roles must report, given what they
// reported, and the keys left unchecked: a host without a setuid-capable
// temp dir or unshare(1) cannot show those.
func wantedFacts(facts map[string]string) (want map[string]string, unchecked []string) {
	want = map[string]string{
		"filtered.thread.seccomp":    "2",
		"filtered.thread.keyctl":     "EPERM",
		"unfiltered.thread.seccomp":  "0",
		"unfiltered.keyctl":          notEPERM(facts["unfiltered.keyctl"]),
		"unfiltered.add_key":         notEPERM(facts["unfiltered.add_key"]),
		"guest.seccomp":              "2",
		"guest.other_thread.seccomp": "2",
		"guest.nonewprivs":           "0",
		"guest.ptrace":               "ok",
		"guest.setuid_euid":          "0",
		"guest.unshare_command":      "ok",
		"guest.nested_end":           "signal: hangup",
		"nested.pid":                 "1",
		"nested.make_private":        "ok",
		"nested.mount_tmpfs":         "ok",
		"nested.pivot_root":          "ok",
		"nested.chroot":              "ok",
		"nested.mknod_fifo":          "ok",
		"nested.sethostname":         "ok",
		"nested.unshare":             "ok",
		"nested.keyctl":              "EPERM",
		"nested.umount_force":        "EPERM",
		"nested.umount_detach":       "ok",
	}
	for _, p := range deniedProbes {
		want["guest."+p.name] = "EPERM"
	}
	for _, p := range allowedProbes {
		want["guest."+p.name] = notEPERM(facts["guest."+p.name])
	}
	if runtime.GOARCH == "amd64" {
		for _, p := range i386Probes {
			want["guest.i386."+p.name] = "EPERM"
			want["unfiltered.i386."+p.name] = notEPERM(facts["unfiltered.i386."+p.name])
		}
		want["guest.i386.personality_query"] = "ok"
		want["guest.i386.getpid"] = "ok"
	}
	for key, got := range facts {
		if got == "nosuid" || got == "no unshare(1)" || got == "no ia32 emulation" {
			want[key] = got
			unchecked = append(unchecked, key)
		}
	}
	return want, unchecked
}

// wantedKeys lists the keys wantedFacts sets, whatever the facts.
func wantedKeys() []string {
	var keys []string
	want, _ := wantedFacts(map[string]string{})
	for k := range want {
		keys = append(keys, k)
	}
	return keys
}

// notEPERM returns got unless it is EPERM or missing, in which case the
// comparison shows what was wanted.
func notEPERM(got string) string {
	if got == "EPERM" || got == "" {
		return "anything but EPERM"
	}
	return got
}

// parseFacts reads key=value lines.
func parseFacts(out string) map[string]string {
	facts := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			facts[k] = v
		}
	}
	return facts
}

// pick returns the facts under keys, missing ones as "".
func pick(facts map[string]string, keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = facts[k]
	}
	return out
}

// BenchmarkSyscall measures a call the filter lets through at once
// (getpid: the kernel caches the verdict) and one it must run the program
// for (personality query), with and without the filter.
func BenchmarkSyscall(b *testing.B) {
	calls := []struct {
		name string
		call func()
	}{
		{"getpid", func() { syscall.Getpid() }},
		{"personality-query", func() { _ = sys(unix.SYS_PERSONALITY, 0xffffffff) }},
	}
	for _, c := range calls {
		for _, filtered := range []bool{false, true} {
			name := c.name + "/unfiltered"
			if filtered {
				name = c.name + "/filtered"
			}
			b.Run(name, func(b *testing.B) { benchmarkOnThread(b, filtered, c.call) })
		}
	}
}

// benchmarkOnThread runs call b.N times on a thread of its own, filtered or
// not; Go ends the thread afterwards.
func benchmarkOnThread(b *testing.B, filtered bool, call func()) {
	if filtered {
		requireRoot(b)
		requireSeccomp(b)
	}
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread may carry the filter
		if filtered {
			if err := InstallThread(); err != nil {
				errc <- err
				return
			}
		}
		b.ResetTimer()
		for range b.N {
			call()
		}
		b.StopTimer()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}
