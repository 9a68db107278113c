package config

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Host is what validation needs to know about the machine the daemon runs on.
// A zero field means unknown and skips the checks that need it.
type Host struct {
	// MemTotal is the host's memory in bytes.
	MemTotal int64
	// CPUs is the number of CPUs this process may run on.
	CPUs int
}

// LocalHost returns the facts of this machine: MemTotal from /proc/meminfo
// (zero if it cannot be read) and runtime.NumCPU.
func LocalHost() Host {
	h := Host{CPUs: runtime.NumCPU()}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		defer f.Close()
		h.MemTotal, _ = parseMemTotal(f)
	}
	return h
}

// parseMemTotal reads the MemTotal line of a /proc/meminfo file, in bytes.
func parseMemTotal(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading MemTotal: %w", err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading meminfo: %w", err)
	}
	return 0, fmt.Errorf("reading meminfo: no MemTotal line")
}
