package syscallfilter

import (
	"fmt"
	"sort"
)

//go:generate sh -c "go run ./internal/gentables > tables_gen.go"

// syscallTable is the system call numbers of one ABI, as static data (see
// tables_gen.go): calls sorted by name.
type syscallTable struct {
	name  string // Linux's name of the architecture
	id    uint32 // its audit architecture constant
	mask  int    // set in every call's number (x32's bit)
	calls []syscallNr
}

// syscallNr is one call of a table.
type syscallNr struct {
	name string
	nr   int
}

// lookup returns the number of the call name.
func (t *syscallTable) lookup(name string) (int, bool) {
	i := sort.Search(len(t.calls), func(i int) bool { return t.calls[i].name >= name })
	if i < len(t.calls) && t.calls[i].name == name {
		return t.calls[i].nr, true
	}
	return 0, false
}

// abi is one system call convention the filter knows, with its numbers.
type abi struct {
	table     *syscallTable
	rejectX32 bool // the x86_64 arch also carries x32 calls, refused
}

// abisFor returns the ABIs a process of goarch's family can call the kernel
// with: the native one first, then the 32-bit compat one (i386 on x86_64,
// AArch32 on arm64), filtered the same way. A 32-bit build gets both too,
// since its children may exec 64-bit programs.
func abisFor(goarch string) ([]abi, error) {
	switch goarch {
	case "amd64", "386":
		return []abi{{table: &tableX86_64, rejectX32: true}, {table: &tableI386}}, nil
	case "arm64", "arm":
		return []abi{{table: &tableAArch64}, {table: &tableARM}}, nil
	}
	return nil, fmt.Errorf("building the guest seccomp filter: no syscall table for %s (amd64, 386, arm64 and arm have one)", goarch)
}

// numbers returns the syscall numbers of the names this ABI has, in order.
func (a abi) numbers(names []string) []uint32 {
	var out []uint32
	for _, name := range names {
		if nr, ok := a.table.lookup(name); ok {
			out = append(out, uint32(nr|a.table.mask))
		}
	}
	return out
}
