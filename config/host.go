package config

import (
	"runtime"

	"github.com/prometheus/procfs"
)

// Host is what validation needs to know about the machine the daemon runs on.
// A zero field means unknown and skips the checks that need it.
type Host struct {
	// MemTotal is the host's memory in bytes.
	MemTotal int64
	// CPUs is the number of CPUs this process may run on.
	CPUs int
	// SwapTotal is the host's swap in bytes; read with MemTotal, and only
	// used when MemTotal is known.
	SwapTotal int64
}

// LocalHost returns the facts of this machine: MemTotal and SwapTotal from
// /proc/meminfo (zero if it cannot be read) and runtime.NumCPU.
func LocalHost() Host {
	return hostIn(procfs.DefaultMountPoint)
}

// hostIn returns the facts of the machine whose proc file system is at
// proc, read by procfs.
func hostIn(proc string) Host {
	h := Host{CPUs: runtime.NumCPU()}
	fs, err := procfs.NewFS(proc)
	if err != nil {
		return h
	}
	mi, err := fs.Meminfo()
	if err != nil || mi.MemTotalBytes == nil {
		return h
	}
	h.MemTotal = int64(*mi.MemTotalBytes)
	if mi.SwapTotalBytes != nil {
		h.SwapTotal = int64(*mi.SwapTotalBytes)
	}
	return h
}
