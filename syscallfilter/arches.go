package syscallfilter

import (
	"fmt"

	"github.com/elastic/go-seccomp-bpf/arch"
)

// abi is one system call convention the filter knows, with its numbers.
type abi struct {
	info      *arch.Info
	rejectX32 bool // the x86_64 arch also carries x32 calls, refused
}

// abisFor returns the ABIs a process of goarch's family can call the kernel
// with: the native one first, then the 32-bit compat one (i386 on x86_64,
// AArch32 on arm64), filtered the same way. A 32-bit build gets both too,
// since its children may exec 64-bit programs.
func abisFor(goarch string) ([]abi, error) {
	switch goarch {
	case "amd64", "386":
		return []abi{{info: arch.X86_64, rejectX32: true}, {info: arch.I386}}, nil
	case "arm64", "arm":
		return []abi{{info: arch.AARCH64}, {info: arch.ARM}}, nil
	}
	return nil, fmt.Errorf("building the guest seccomp filter: no syscall table for %s (amd64, 386, arm64 and arm have one)", goarch)
}

// numbers returns the syscall numbers of the names this ABI has, in order.
func (a abi) numbers(names []string) []uint32 {
	var out []uint32
	for _, name := range names {
		if nr, ok := a.info.SyscallNames[name]; ok {
			out = append(out, uint32(nr|a.info.SeccompMask))
		}
	}
	return out
}
