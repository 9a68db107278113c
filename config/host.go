package config

import (
	"bufio"
	"bytes"
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
	// SwapTotal is the host's swap in bytes; read with MemTotal, and only
	// used when MemTotal is known.
	SwapTotal int64
}

// LocalHost returns the facts of this machine: MemTotal and SwapTotal from
// /proc/meminfo (zero if it cannot be read) and runtime.NumCPU.
func LocalHost() Host {
	h := Host{CPUs: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		h.MemTotal, _ = parseMemTotal(bytes.NewReader(b))
		h.SwapTotal, _ = meminfoField(bytes.NewReader(b), "SwapTotal")
	}
	return h
}

// parseMemTotal reads the MemTotal line of a /proc/meminfo file, in bytes.
func parseMemTotal(r io.Reader) (int64, error) {
	return meminfoField(r, "MemTotal")
}

// meminfoField reads the line of key (such as MemTotal) of a /proc/meminfo
// file, in bytes.
func meminfoField(r io.Reader, key string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), key+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", key, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading meminfo: %w", err)
	}
	return 0, fmt.Errorf("reading meminfo: no %s line", key)
}
