package guestinit

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"
)

// sysinfo is what sysinfo(2) returns, memory in bytes.
type sysinfo struct {
	uptime    time.Duration
	loads     [3]uint64 // 1, 5 and 15 minutes, fixed point (1 << 16 is 1.0)
	totalRAM  uint64
	freeRAM   uint64
	sharedRAM uint64
	bufferRAM uint64
	totalSwap uint64
	freeSwap  uint64
	procs     uint64
	totalHigh uint64
	freeHigh  uint64
}

// memCounts is what the guest's cgroup counts; a field is -1 when the
// cgroup does not say (no such file, or no limit).
type memCounts struct {
	memMax, memUsed   int64
	swapMax, swapUsed int64 // swap alone, not memory plus swap
	tasks             int64
}

// guestSysinfo is host, the kernel's answer to the init, as the guest's
// own machine: total memory its memory limit (the host's when lower or
// unlimited), free memory what its cgroup does not use, swap likewise,
// uptime since the guest started, its processes (threads, as the kernel
// counts them). Loads stay the host's; shared and buffer memory are 0.
func guestSysinfo(host sysinfo, c memCounts, uptime time.Duration) sysinfo {
	g := host
	g.uptime = uptime
	g.sharedRAM, g.bufferRAM, g.totalHigh, g.freeHigh = 0, 0, 0, 0
	if c.memUsed >= 0 {
		g.totalRAM = limitOf(host.totalRAM, c.memMax)
		g.freeRAM = g.totalRAM - min(uint64(c.memUsed), g.totalRAM)
	}
	if c.swapUsed >= 0 {
		g.totalSwap = limitOf(host.totalSwap, c.swapMax)
		g.freeSwap = g.totalSwap - min(uint64(c.swapUsed), g.totalSwap)
	}
	if c.tasks >= 0 {
		g.procs = uint64(c.tasks)
	}
	return g
}

// limitOf is the lower of the host's amount and a cgroup's limit (-1: none).
func limitOf(host uint64, limit int64) uint64 {
	if limit < 0 {
		return host
	}
	return min(host, uint64(limit))
}

// parseCgroupValue reads a cgroup file's number: "max", or cgroup1's
// unlimited (a page-rounded MaxInt64), is -1.
func parseCgroupValue(b []byte) int64 {
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return -1
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v >= math.MaxInt64-1<<20 {
		return -1
	}
	return v
}

// Sizes of struct sysinfo for callers whose C long is 8 or 4 bytes.
const (
	sysinfoSize64 = 112
	sysinfoSize32 = 64
)

// encode lays s out as struct sysinfo of an ABI whose C long is longSize
// bytes (8, or 4 for 32-bit callers), little-endian. 64-bit callers get
// bytes (mem_unit 1); 32-bit ones the smallest power-of-two unit that lets
// every amount fit, as the kernel does.
func (s sysinfo) encode(longSize int) []byte {
	amounts := []uint64{s.totalRAM, s.freeRAM, s.sharedRAM, s.bufferRAM, s.totalSwap, s.freeSwap}
	high := []uint64{s.totalHigh, s.freeHigh}
	unit := uint64(1)
	if longSize == 4 {
		for _, a := range append(append([]uint64{}, amounts...), high...) {
			for a/unit > math.MaxUint32 {
				unit <<= 1
			}
		}
	}
	size := sysinfoSize64
	if longSize == 4 {
		size = sysinfoSize32
	}
	b := make([]byte, size)
	w := longWriter{b: b, size: longSize}
	w.long(uint64(secondsUp(s.uptime)))
	for _, l := range s.loads {
		w.long(l)
	}
	for _, a := range amounts {
		w.long(a / unit)
	}
	binary.LittleEndian.PutUint16(b[w.at:], uint16(min(s.procs, math.MaxUint16)))
	w.at += 4 // procs, pad
	w.at = (w.at + longSize - 1) / longSize * longSize
	for _, a := range high {
		w.long(a / unit)
	}
	binary.LittleEndian.PutUint32(b[w.at:], uint32(unit))
	return b
}

// secondsUp is an uptime in whole seconds, rounded up as the kernel does.
func secondsUp(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// longWriter writes C longs of one size, in order.
type longWriter struct {
	b    []byte
	size int
	at   int
}

// long writes v, cut to the long's size.
func (w *longWriter) long(v uint64) {
	if w.size == 4 {
		binary.LittleEndian.PutUint32(w.b[w.at:], uint32(v))
	} else {
		binary.LittleEndian.PutUint64(w.b[w.at:], v)
	}
	w.at += w.size
}
