package syscallfilter

import (
	"testing"

	"golang.org/x/net/bpf"
)

// notifyVM returns a VM running the notifying filter for goarch.
func notifyVM(t *testing.T, goarch string) *bpf.VM {
	t.Helper()
	insts, err := buildRules(goarch, notifyRules)
	if err != nil {
		t.Fatalf("buildRules(%q, notifyRules): %v", goarch, err)
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		t.Fatalf("assembling the %s filter: %v", goarch, err)
	}
	back, _ := bpf.Disassemble(raw)
	vm, err := bpf.NewVM(back)
	if err != nil {
		t.Fatalf("loading the %s filter in the BPF VM: %v", goarch, err)
	}
	return vm
}

// TestNotifyFilterDecides checks that the notifying filter hands sysinfo
// to the listener on every ABI, and decides every other call as the plain
// filter does.
func TestNotifyFilterDecides(t *testing.T) {
	for _, goarch := range []string{"amd64", "arm64"} {
		vm, plain := notifyVM(t, goarch), filterVM(t, goarch)
		abis, _ := abisFor(goarch)
		for _, a := range abis {
			info := archInfo(a)
			tests := []struct {
				name string
				c    call
				want uint32
			}{
				{"sysinfo", abiCall(t, info, "sysinfo"), retUserNotif},
				{"keyctl", abiCall(t, info, "keyctl"), eperm},
				{"getpid", abiCall(t, info, "getpid"), allow},
				{"personality(READ_IMPLIES_EXEC)", abiCall(t, info, "personality", 0x400000), eperm},
				{"uname", abiCall(t, info, "uname"), allow},
			}
			for _, tt := range tests {
				if got := decide(t, vm, tt.c); got != tt.want {
					t.Errorf("%s notifying filter, %s %s = %#x, want %#x", goarch, info.Name, tt.name, got, tt.want)
				}
			}
			if got := decide(t, plain, abiCall(t, info, "sysinfo")); got != allow {
				t.Errorf("%s plain filter, %s sysinfo = %#x, want %#x", goarch, info.Name, got, allow)
			}
		}
	}
}

func TestNotifiedCall(t *testing.T) {
	tests := []struct {
		arch     uint32
		nr       int32
		name     string
		longSize int
		ok       bool
	}{
		{0xc000003e, 99, "sysinfo", 8, true},  // x86_64
		{0x40000003, 116, "sysinfo", 4, true}, // i386
		{0xc00000b7, 179, "sysinfo", 8, true}, // aarch64
		{0x40000028, 116, "sysinfo", 4, true}, // arm
		{0xc000003e, 116, "", 0, false},       // x86_64 setgroups
		{0xc0000015, 116, "", 0, false},       // ppc64le: no table
	}
	for _, tt := range tests {
		name, size, ok := NotifiedCall(tt.arch, tt.nr)
		if name != tt.name || size != tt.longSize || ok != tt.ok {
			t.Errorf("NotifiedCall(%#x, %d) = %q, %d, %v; want %q, %d, %v", tt.arch, tt.nr, name, size, ok, tt.name, tt.longSize, tt.ok)
		}
	}
}
