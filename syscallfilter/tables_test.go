package syscallfilter

import (
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
)

// archInfo is the table of github.com/elastic/go-seccomp-bpf/arch that the
// generated table of a was made from.
func archInfo(a abi) *arch.Info {
	info, err := arch.GetInfo(a.table.name)
	if err != nil {
		panic(err)
	}
	return info
}

// TestTablesMatchTheirSource checks tables_gen.go against the package it is
// generated from: after an update of that package, run go generate.
func TestTablesMatchTheirSource(t *testing.T) {
	for _, goarch := range []string{"amd64", "arm64"} {
		abis, err := abisFor(goarch)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range abis {
			info := archInfo(a)
			if uint32(info.ID) != a.table.id || info.SeccompMask != a.table.mask || len(info.SyscallNames) != len(a.table.calls) {
				t.Errorf("%s: table id %#x mask %#x with %d calls, source %#x %#x %d; run go generate ./syscallfilter",
					a.table.name, a.table.id, a.table.mask, len(a.table.calls), uint32(info.ID), info.SeccompMask, len(info.SyscallNames))
				continue
			}
			for name, want := range info.SyscallNames {
				if got, ok := a.table.lookup(name); !ok || got != want {
					t.Errorf("%s %s = %d, %v; source %d", a.table.name, name, got, ok, want)
				}
			}
		}
	}
}
