package syscallfilter

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/bpf"
)

const (
	allow  = retAllow
	eperm  = retErrno | errnoEPERM
	enosys = retErrno | errnoENOSYS

	auditArchPPC64LE = 0xc0000015
)

// call is one system call as seccomp sees it.
type call struct {
	arch uint32
	nr   uint32
	args [6]uint64
}

// seccompData lays out struct seccomp_data for a little-endian kernel, each
// 32-bit word big-endian because the x/net/bpf VM loads in network order.
func (c call) seccompData() []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[offsetNr:], c.nr)
	binary.BigEndian.PutUint32(b[offsetArch:], c.arch)
	for i, a := range c.args {
		binary.BigEndian.PutUint32(b[offsetArgs+8*i:], uint32(a))
		binary.BigEndian.PutUint32(b[offsetArgs+8*i+4:], uint32(a>>32))
	}
	return b
}

// filterVM returns a VM running the filter for goarch, assembled and
// disassembled as the kernel would receive it.
func filterVM(t *testing.T, goarch string) *bpf.VM {
	t.Helper()
	insts, err := build(goarch)
	if err != nil {
		t.Fatalf("build(%q): %v", goarch, err)
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		t.Fatalf("assembling the %s filter: %v", goarch, err)
	}
	if len(raw) > 4096 {
		t.Fatalf("the %s filter has %d instructions, seccomp takes 4096", goarch, len(raw))
	}
	back, allDecoded := bpf.Disassemble(raw)
	if !allDecoded {
		t.Fatalf("the %s filter does not disassemble", goarch)
	}
	vm, err := bpf.NewVM(back)
	if err != nil {
		t.Fatalf("loading the %s filter in the BPF VM: %v", goarch, err)
	}
	return vm
}

// decide runs the filter on c and returns its SECCOMP_RET value.
func decide(t *testing.T, vm *bpf.VM, c call) uint32 {
	t.Helper()
	got, err := vm.Run(c.seccompData())
	if err != nil {
		t.Fatalf("running the filter on %+v: %v", c, err)
	}
	return uint32(got)
}

// abiCall returns the call name with args on ABI a; the test fails if a lacks it.
func abiCall(t *testing.T, a *arch.Info, name string, args ...uint64) call {
	t.Helper()
	nr, ok := a.SyscallNames[name]
	if !ok {
		t.Fatalf("%s has no %s", a.Name, name)
	}
	c := call{arch: uint32(a.ID), nr: uint32(nr | a.SeccompMask)}
	copy(c.args[:], args)
	return c
}

func TestFilterDecides(t *testing.T) {
	const hi = 1 << 32 // a high half the kernel ignores for int arguments
	for _, goarch := range []string{"amd64", "arm64"} {
		vm := filterVM(t, goarch)
		abis, _ := abisFor(goarch)
		for _, a := range abis {
			tests := []struct {
				name string
				c    call
				want uint32
			}{
				{"keyctl", abiCall(t, archInfo(a), "keyctl"), eperm},
				{"getpid", abiCall(t, archInfo(a), "getpid"), allow},
				{"personality(0)", abiCall(t, archInfo(a), "personality", 0), allow},
				{"personality(query)", abiCall(t, archInfo(a), "personality", 0xffffffff), allow},
				{"personality(ADDR_NO_RANDOMIZE)", abiCall(t, archInfo(a), "personality", 0x40000), allow},
				{"personality(PER_LINUX32)", abiCall(t, archInfo(a), "personality", 0x8), allow},
				{"personality(UNAME26|ADDR_NO_RANDOMIZE|PER_LINUX32)", abiCall(t, archInfo(a), "personality", 0x60008), allow},
				{"personality(ADDR_COMPAT_LAYOUT)", abiCall(t, archInfo(a), "personality", 0x200000), eperm},
				{"personality(READ_IMPLIES_EXEC)", abiCall(t, archInfo(a), "personality", 0x400000), eperm},
				{"personality(MMAP_PAGE_ZERO)", abiCall(t, archInfo(a), "personality", 0x100000), eperm},
				{"personality(high half, 0)", abiCall(t, archInfo(a), "personality", hi), allow},
				{"personality(high half, READ_IMPLIES_EXEC)", abiCall(t, archInfo(a), "personality", hi|0x400000), eperm},
				{"userfaultfd(0)", abiCall(t, archInfo(a), "userfaultfd", 0), eperm},
				{"userfaultfd(O_CLOEXEC)", abiCall(t, archInfo(a), "userfaultfd", 0x80000), eperm},
				{"userfaultfd(UFFD_USER_MODE_ONLY)", abiCall(t, archInfo(a), "userfaultfd", 1), allow},
				{"userfaultfd(UFFD_USER_MODE_ONLY|O_CLOEXEC)", abiCall(t, archInfo(a), "userfaultfd", 0x80001), allow},
				{"umount2(MNT_DETACH)", abiCall(t, archInfo(a), "umount2", 0, 2), allow},
				{"umount2(MNT_FORCE)", abiCall(t, archInfo(a), "umount2", 0, 1), eperm},
				{"umount2(MNT_FORCE|MNT_DETACH)", abiCall(t, archInfo(a), "umount2", 0, 3), eperm},
				{"umount2(high half only)", abiCall(t, archInfo(a), "umount2", 0, hi), allow},
				{"socket(AF_INET)", abiCall(t, archInfo(a), "socket", 2, 1), allow},
				{"socket(AF_UNIX)", abiCall(t, archInfo(a), "socket", 1, 1), allow},
				{"socket(AF_VSOCK)", abiCall(t, archInfo(a), "socket", afVSOCK, 1), eperm},
				{"socket(high half, AF_VSOCK)", abiCall(t, archInfo(a), "socket", hi|afVSOCK, 1), eperm},
				{"socket(AF_ALG)", abiCall(t, archInfo(a), "socket", afALG, 5), eperm},
				// A number whose argument equals a denied call's number must
				// not be taken for that call once the argument is loaded.
				{"personality(keyctl's number)", abiCall(t, archInfo(a), "personality", uint64(archInfo(a).SyscallNames["keyctl"])), eperm},
				{"umount2(flags = getpid's number)", abiCall(t, archInfo(a), "umount2", 0, uint64(archInfo(a).SyscallNames["getpid"]&^1)), allow},
			}
			for _, tt := range tests {
				if got := decide(t, vm, tt.c); got != tt.want {
					t.Errorf("%s filter, %s %s = %#x, want %#x", goarch, archInfo(a).Name, tt.name, got, tt.want)
				}
			}
		}
	}
}

func TestFilterAllowsWhatAGuestNeeds(t *testing.T) {
	needed := []string{
		"clone", "clone3", "fork", "vfork", "unshare", "setns", "execve",
		"mount", "umount2", "pivot_root", "fsopen", "fsmount", "move_mount",
		"open_tree", "mount_setattr", "ptrace", "reboot", "chroot", "mknod",
		"mknodat", "sethostname", "setuid", "setresuid", "capset", "seccomp",
		"prctl", "adjtimex", "clock_adjtime", "fanotify_init", "kill",
		"read", "write", "openat", "socketcall", "modify_ldt", "arch_prctl",
	}
	for _, goarch := range []string{"amd64", "arm64"} {
		vm := filterVM(t, goarch)
		abis, _ := abisFor(goarch)
		for _, name := range needed {
			found := false
			for _, a := range abis {
				if _, ok := archInfo(a).SyscallNames[name]; !ok {
					continue
				}
				found = true
				if got := decide(t, vm, abiCall(t, archInfo(a), name)); got != allow {
					t.Errorf("%s filter, %s %s = %#x, want allow", goarch, archInfo(a).Name, name, got)
				}
			}
			if !found && goarch == "amd64" {
				t.Errorf("no x86 ABI has %s: misspelt?", name)
			}
		}
	}
}

func TestFilterDeniesEveryListedCall(t *testing.T) {
	seen := map[string]bool{}
	for _, goarch := range []string{"amd64", "arm64"} {
		vm := filterVM(t, goarch)
		abis, _ := abisFor(goarch)
		for _, a := range abis {
			for _, name := range deniedCalls {
				if _, ok := archInfo(a).SyscallNames[name]; !ok {
					continue
				}
				seen[name] = true
				// An argument no conditional allow accepts.
				c := abiCall(t, archInfo(a), name, 0x7654320)
				if got := decide(t, vm, c); got != eperm {
					t.Errorf("%s filter, %s %s = %#x, want EPERM", goarch, archInfo(a).Name, name, got)
				}
			}
		}
	}
	for _, name := range deniedCalls {
		if !seen[name] {
			t.Errorf("denied call %s is in no syscall table: misspelt?", name)
		}
	}
}

func TestFilterRefusesOtherABIs(t *testing.T) {
	tests := []struct {
		goarch string
		name   string
		c      call
		want   uint32
	}{
		{"amd64", "x32 keyctl", call{arch: uint32(arch.X86_64.ID), nr: x32SyscallBit | 250}, enosys},
		{"amd64", "x32 getpid", call{arch: uint32(arch.X86_64.ID), nr: x32SyscallBit | 39}, enosys},
		{"amd64", "a skipped call (-1)", call{arch: uint32(arch.X86_64.ID), nr: skippedNr}, allow},
		{"amd64", "ppc64le getpid", call{arch: auditArchPPC64LE, nr: 20}, enosys},
		{"amd64", "arm getpid", call{arch: uint32(arch.ARM.ID), nr: 20}, enosys},
		{"arm64", "x86_64 getpid", call{arch: uint32(arch.X86_64.ID), nr: 39}, enosys},
		{"arm64", "i386 getpid", call{arch: uint32(arch.I386.ID), nr: 20}, enosys},
	}
	for _, tt := range tests {
		vm := filterVM(t, tt.goarch)
		if got := decide(t, vm, tt.c); got != tt.want {
			t.Errorf("%s filter, %s = %#x, want %#x", tt.goarch, tt.name, got, tt.want)
		}
	}
	if _, err := build("s390x"); err == nil {
		t.Errorf("build(s390x) succeeded without a syscall table")
	}
}

// TestSyscallNumbers checks the dependency's tables against numbers from the
// kernel's syscall tables, for the calls the tests lean on most.
func TestSyscallNumbers(t *testing.T) {
	tests := []struct {
		abi  *arch.Info
		name string
		want int
	}{
		{arch.X86_64, "keyctl", 250}, {arch.X86_64, "bpf", 321},
		{arch.X86_64, "kexec_load", 246}, {arch.X86_64, "io_uring_setup", 425},
		{arch.X86_64, "open_by_handle_at", 304}, {arch.X86_64, "personality", 135},
		{arch.I386, "keyctl", 288}, {arch.I386, "bpf", 357},
		{arch.I386, "init_module", 128}, {arch.I386, "perf_event_open", 336},
		{arch.I386, "personality", 136}, {arch.I386, "socket", 359},
		{arch.AARCH64, "keyctl", 219}, {arch.AARCH64, "bpf", 280},
		{arch.ARM, "keyctl", 311}, {arch.ARM, "bpf", 386},
	}
	for _, tt := range tests {
		if got := tt.abi.SyscallNames[tt.name]; got != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.abi.Name, tt.name, got, tt.want)
		}
	}
}

func TestProgramIsBuiltOnce(t *testing.T) {
	first, err := Program()
	if err != nil {
		t.Fatalf("Program(): %v", err)
	}
	second, _ := Program()
	if len(first) == 0 || &first[0] != &second[0] {
		t.Errorf("Program() assembled %d instructions twice", len(first))
	}
	if !slices.ContainsFunc(first, func(r bpf.RawInstruction) bool { return r.K == eperm }) {
		t.Errorf("Program() never returns EPERM")
	}
}

// TestDeniedCallsEachABILacks pins which denied calls an ABI has no number
// for, so a syscall table that loses one shows here instead of silently
// letting the call through.
func TestDeniedCallsEachABILacks(t *testing.T) {
	want := map[string][]string{
		"x86_64":  {"stime", "clock_settime64", "vm86", "vm86old", "pciconfig_iobase", "pciconfig_read", "pciconfig_write"},
		"i386":    {"kexec_file_load", "pciconfig_iobase", "pciconfig_read", "pciconfig_write"},
		"aarch64": {"create_module", "stime", "iopl", "ioperm", "vm86", "vm86old", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "uselib", "ustat", "sysfs", "_sysctl"},
		"arm":     {"create_module", "stime", "iopl", "ioperm", "vm86", "vm86old"},
	}
	got := map[string][]string{}
	for _, a := range []*arch.Info{arch.X86_64, arch.I386, arch.AARCH64, arch.ARM} {
		for _, name := range deniedCalls {
			if _, ok := a.SyscallNames[name]; !ok {
				got[a.Name] = append(got[a.Name], name)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("denied calls without a number (-want +got):\n%s", diff)
	}
}
