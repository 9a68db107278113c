package syscallfilter

import (
	"sync"

	"golang.org/x/net/bpf"
)

// verdictNotify is a rule's errno that hands the call to the filter's
// listener (SECCOMP_RET_USER_NOTIF) instead: no errno is that large.
const verdictNotify = 1 << 16

// notifiedCalls are the calls NotifyProgram hands to its listener, on every
// ABI the filter knows: sysinfo, so that the guest's init can answer with
// the guest's own memory and uptime.
var notifiedCalls = []string{"sysinfo"}

// notifyRules is the guest filter with notifiedCalls handed to the
// listener first.
var notifyRules = append([]rule{{names: notifiedCalls, errno: verdictNotify}}, rules...)

// NotifyProgram returns the guest filter of Program with the calls of
// NotifiedCall handed to a listener (SECCOMP_RET_USER_NOTIF). It is
// assembled once; the slice is shared, do not modify it.
func NotifyProgram() ([]bpf.RawInstruction, error) {
	return notifyProgram()
}

var notifyProgram = sync.OnceValues(func() ([]bpf.RawInstruction, error) {
	return assemble(notifyRules)
})

// NotifiedCall names the call nr of the audit architecture arch when
// NotifyProgram hands it to the listener, with the size in bytes of a C
// long on that ABI (8, or 4 for i386 and AArch32 callers); ok is false for
// any other call.
func NotifiedCall(arch uint32, nr int32) (name string, longSize int, ok bool) {
	for _, t := range allTables {
		if t.id != arch {
			continue
		}
		for _, name := range notifiedCalls {
			if n, found := t.lookup(name); found && int32(n|t.mask) == nr {
				return name, t.longSize(), true
			}
		}
	}
	return "", 0, false
}

// allTables are the tables of every ABI the filter knows.
var allTables = []*syscallTable{&tableX86_64, &tableI386, &tableAArch64, &tableARM}

// auditArch64Bit is set in the audit architecture of 64-bit ABIs
// (__AUDIT_ARCH_64BIT).
const auditArch64Bit = 0x80000000

// longSize is the size in bytes of a C long on the table's ABI.
func (t *syscallTable) longSize() int {
	if t.id&auditArch64Bit != 0 {
		return 8
	}
	return 4
}
