package syscallfilter

import (
	"testing"

	"golang.org/x/net/bpf"
)

// steps runs prog on c as seccomp would and returns its verdict and how
// many instructions it ran; it knows only the instructions build emits.
func steps(t *testing.T, prog []bpf.Instruction, c call) (verdict uint32, n int) {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		n++
		switch ins := prog[pc].(type) {
		case bpf.LoadAbsolute:
			a = c.word(ins.Off)
		case bpf.Jump:
			pc += int(ins.Skip)
		case bpf.JumpIf:
			pc += jumpSkip(t, ins, a)
		case bpf.RetConstant:
			return ins.Val, n
		default:
			t.Fatalf("instruction %d: %T is not one build emits", pc, ins)
		}
	}
	t.Fatalf("the filter ran off its end on %+v", c)
	return 0, n
}

// word returns the 32-bit word of seccomp_data at off.
func (c call) word(off uint32) uint32 {
	switch {
	case off == offsetNr:
		return c.nr
	case off == offsetArch:
		return c.arch
	case off >= offsetArgs && (off-offsetArgs)%8 == 0:
		return uint32(c.args[(off-offsetArgs)/8])
	}
	return uint32(c.args[(off-offsetArgs)/8] >> 32)
}

// jumpSkip returns how far a conditional jump skips with a in A.
func jumpSkip(t *testing.T, ins bpf.JumpIf, a uint32) int {
	var holds bool
	switch ins.Cond {
	case bpf.JumpEqual:
		holds = a == ins.Val
	case bpf.JumpGreaterOrEqual:
		holds = a >= ins.Val
	case bpf.JumpBitsSet:
		holds = a&ins.Val != 0
	default:
		t.Fatalf("jump condition %v is not one build emits", ins.Cond)
	}
	if holds {
		return int(ins.SkipTrue)
	}
	return int(ins.SkipFalse)
}

// TestFilterPathLength runs every call of every ABI through the filter,
// checks the verdict agrees with the BPF VM's, and bounds the instructions
// a call costs when the kernel's per-syscall cache does not already allow it.
func TestFilterPathLength(t *testing.T) {
	const bound = 100
	for _, goarch := range []string{"amd64", "arm64"} {
		prog, err := build(goarch)
		if err != nil {
			t.Fatal(err)
		}
		vm := filterVM(t, goarch)
		abis, _ := abisFor(goarch)
		for _, a := range abis {
			longest, longestName := 0, ""
			for name := range archInfo(a).SyscallNames {
				c := abiCall(t, archInfo(a), name, 0x7654320, 0x7654320)
				verdict, n := steps(t, prog, c)
				if want := decide(t, vm, c); verdict != want {
					t.Errorf("%s %s: stepped verdict %#x, VM %#x", archInfo(a).Name, name, verdict, want)
				}
				if n > longest {
					longest, longestName = n, name
				}
			}
			t.Logf("%s filter, %s: longest path %d instructions (%s)", goarch, archInfo(a).Name, longest, longestName)
			if longest > bound {
				t.Errorf("%s filter, %s %s runs %d instructions, want at most %d", goarch, archInfo(a).Name, longestName, longest, bound)
			}
		}
	}
}
