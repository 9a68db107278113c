package syscallfilter

import (
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/net/bpf"
)

// Offsets in struct seccomp_data (little-endian ABIs), return values and the
// x32 marker in the syscall number.
const (
	offsetNr      = 0
	offsetArch    = 4
	offsetArgs    = 16
	retAllow      = 0x7fff0000 // SECCOMP_RET_ALLOW
	retErrno      = 0x00050000 // SECCOMP_RET_ERRNO
	retUserNotif  = 0x7fc00000 // SECCOMP_RET_USER_NOTIF
	x32SyscallBit = 0x40000000 // __X32_SYSCALL_BIT
	skippedNr     = 0xffffffff // -1, a call a tracer skips
	maxSkip       = 255        // the longest conditional jump
)

// Program returns the guest filter for this machine's architecture as the
// classic BPF program seccomp loads. It is assembled once; the slice is
// shared, do not modify it.
func Program() ([]bpf.RawInstruction, error) {
	return program()
}

var program = sync.OnceValues(func() ([]bpf.RawInstruction, error) {
	return assemble(rules)
})

// assemble builds and assembles the filter of rs for this machine.
func assemble(rs []rule) ([]bpf.RawInstruction, error) {
	insts, err := buildRules(runtime.GOARCH, rs)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		return nil, fmt.Errorf("assembling the guest seccomp filter: %w", err)
	}
	return raw, nil
}

// build returns the guest filter for the architecture family of goarch.
func build(goarch string) ([]bpf.Instruction, error) {
	return buildRules(goarch, rules)
}

// buildRules returns the filter of rs for the architecture family of
// goarch.
func buildRules(goarch string, rs []rule) ([]bpf.Instruction, error) {
	abis, err := abisFor(goarch)
	if err != nil {
		return nil, err
	}
	bodies := make([][]bpf.Instruction, len(abis))
	for i, a := range abis {
		if bodies[i], err = assembleABI(a, rs); err != nil {
			return nil, err
		}
	}
	return link(abis, bodies), nil
}

// link puts a dispatch on the audit architecture in front of the bodies:
// `ld arch; (jeq ID; ja body)...; ret ENOSYS; body...`. An architecture the
// filter does not know gets ENOSYS for every call.
func link(abis []abi, bodies [][]bpf.Instruction) []bpf.Instruction {
	prog := []bpf.Instruction{bpf.LoadAbsolute{Off: offsetArch, Size: 4}}
	start := 1 + 2*len(abis) + 1
	for i, a := range abis {
		at := len(prog)
		prog = append(prog,
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: a.table.id, SkipFalse: 1},
			bpf.Jump{Skip: uint32(start - (at + 2))})
		start += len(bodies[i])
	}
	prog = append(prog, ret(errnoENOSYS))
	for _, body := range bodies {
		prog = append(prog, body...)
	}
	return prog
}

// assembleABI returns the rules for one ABI: it loads the syscall number,
// runs the rules in order and allows what none of them decided.
func assembleABI(a abi, rules []rule) ([]bpf.Instruction, error) {
	body := []bpf.Instruction{loadNr()}
	if a.rejectX32 {
		body = append(body, rejectX32()...)
	}
	for _, r := range rules {
		nrs := a.numbers(r.names)
		if r.test == nil {
			body = append(body, anyOf(nrs, r.errno)...)
			continue
		}
		for _, nr := range nrs {
			block, err := testBlock(nr, *r.test, r.errno)
			if err != nil {
				return nil, fmt.Errorf("assembling the rule for %v on %s: %w", r.names, a.table.name, err)
			}
			body = append(body, block...)
		}
	}
	return append(body, ret(0)), nil
}

// rejectX32 refuses x32 calls with ENOSYS but lets through -1, the number
// a tracer sets to skip a call (seccomp would overwrite its return value).
func rejectX32() []bpf.Instruction {
	return []bpf.Instruction{
		bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: x32SyscallBit, SkipFalse: 3},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: skippedNr, SkipFalse: 1},
		ret(0),
		ret(errnoENOSYS),
	}
}

// anyOf returns `jeq NR → ret` for each number, in blocks short enough for
// BPF's 8-bit jumps. The number stays in A.
func anyOf(nrs []uint32, errno uint32) []bpf.Instruction {
	var out []bpf.Instruction
	for len(nrs) > 0 {
		n := min(len(nrs), maxSkip)
		for i, nr := range nrs[:n] {
			out = append(out, bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipTrue: uint8(n - i)})
		}
		out = append(out, bpf.Jump{Skip: 1}, ret(errno))
		nrs = nrs[n:]
	}
	return out
}

// testBlock returns the check of one argument of call nr:
// `jeq NR else end; ld ARG; (jeq V | jset MASK) → ret; ld nr; ja end; ret`.
// It reloads the number before going on, so later rules still see it.
func testBlock(nr uint32, t argTest, errno uint32) ([]bpf.Instruction, error) {
	tests := t.jumps()
	m := len(tests)
	if m+4 > maxSkip || t.arg > 5 {
		return nil, fmt.Errorf("argument test %+v does not fit a block", t)
	}
	block := []bpf.Instruction{
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipFalse: uint8(m + 4)},
		bpf.LoadAbsolute{Off: offsetArgs + 8*t.arg, Size: 4},
	}
	for j, test := range tests {
		test.SkipTrue = uint8(m + 1 - j)
		block = append(block, test)
	}
	return append(block, loadNr(), bpf.Jump{Skip: 1}, ret(errno)), nil
}

// jumps returns the conditional jumps that hold when the test does.
func (t argTest) jumps() []bpf.JumpIf {
	if len(t.oneOf) == 0 {
		return []bpf.JumpIf{{Cond: bpf.JumpBitsSet, Val: t.anyBit}}
	}
	out := make([]bpf.JumpIf, len(t.oneOf))
	for i, v := range t.oneOf {
		out[i] = bpf.JumpIf{Cond: bpf.JumpEqual, Val: v}
	}
	return out
}

// loadNr loads the syscall number into A.
func loadNr() bpf.Instruction {
	return bpf.LoadAbsolute{Off: offsetNr, Size: 4}
}

// ret returns SECCOMP_RET_ERRNO with errno, SECCOMP_RET_ALLOW for 0, or
// SECCOMP_RET_USER_NOTIF for verdictNotify.
func ret(errno uint32) bpf.Instruction {
	switch errno {
	case 0:
		return bpf.RetConstant{Val: retAllow}
	case verdictNotify:
		return bpf.RetConstant{Val: retUserNotif}
	}
	return bpf.RetConstant{Val: retErrno | errno}
}
