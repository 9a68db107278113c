package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// reportingOrder is the kernel's free page reporting threshold: free blocks
// of this order or more are reported to the hypervisor (a virtio balloon with
// free page reporting), which takes their memory back. Touching such a page
// again faults into the hypervisor: about 8 µs a page on the machine of
// bench/RESULTS.md against 1.6 µs for memory it kept. Which pages a figure
// gets, reported or kept, varies from run to run and grows with the memory
// a figure uses: 1000 guests, a 1 GiB transfer.
const reportingOrder = "/sys/module/page_reporting/parameters/page_reporting_order"

// kdamonds are the kernel's DAMON workers. A machine that hands memory back
// to its hypervisor may run one with a "pageout" scheme: the machine of
// bench/RESULTS.md pages out whatever memory went unused for 6 seconds, at
// up to 128 MiB a second, which after the transfer figures keeps reclaiming
// their page cache while later figures run (the 1000th guest took 1.37x the
// first's time to create with it on, 1.18x with it off, in one full run
// each).
const kdamonds = "/sys/kernel/mm/damon/admin/kdamonds"

// quietMemory makes the machine's memory hold still for the run: it turns
// free page reporting off, stops the DAMON workers that run, and touches most
// of the free memory once, so that every figure gets memory the hypervisor
// already backs and none has its page cache reclaimed under it. restore
// undoes what was done. A machine with neither is left as it is. note says
// what was done, for the report.
func quietMemory() (restore func(), note string, err error) {
	var undo []func()
	restore = func() {
		for _, f := range undo {
			f()
		}
	}
	var did []string
	if d, u, err := reportingOff(); err != nil {
		return restore, "", err
	} else if u != nil {
		did, undo = append(did, d), append(undo, u)
	}
	if d, u, err := damonOff(); err != nil {
		restore()
		return func() {}, "", err
	} else if u != nil {
		did, undo = append(did, d), append(undo, u)
	}
	if len(did) == 0 {
		return restore, "", nil
	}
	n, d, err := prefault(2 << 30)
	if err != nil {
		restore()
		return func() {}, "", err
	}
	did = append(did, fmt.Sprintf("%s of free memory touched first, in %.1f s", mib(n), d.Seconds()))
	return restore, strings.Join(did, "; "), nil
}

// reportingOff turns free page reporting off. It returns what it did and how
// to undo it, or a nil undo when there was nothing to do.
func reportingOff() (did string, undo func(), err error) {
	old, err := os.ReadFile(reportingOrder)
	if os.IsNotExist(err) {
		return "", nil, nil
	} else if err != nil {
		return "", nil, err
	}
	off, err := noReportingOrder()
	if err != nil {
		return "", nil, err
	}
	prev := strings.TrimSpace(string(old))
	if prev == off {
		return "", nil, nil
	}
	if err := os.WriteFile(reportingOrder, []byte(off), 0); err != nil {
		return "", nil, fmt.Errorf("turning free page reporting off (%s = %s): %w", reportingOrder, off, err)
	}
	did = fmt.Sprintf("free page reporting off for the run (page_reporting_order %s, was %s)", off, prev)
	return did, func() { os.WriteFile(reportingOrder, []byte(prev), 0) }, nil
}

// damonOff stops the DAMON workers that run. It returns what it did and how
// to start them again, or a nil undo when none ran.
func damonOff() (did string, undo func(), err error) {
	states, err := filepath.Glob(filepath.Join(kdamonds, "[0-9]*", "state"))
	if err != nil {
		return "", nil, err
	}
	var stopped []string
	undo = func() {
		for _, s := range stopped {
			os.WriteFile(s, []byte("on"), 0)
		}
	}
	for _, st := range states {
		b, err := os.ReadFile(st)
		if err != nil || strings.TrimSpace(string(b)) != "on" {
			continue
		}
		if err := os.WriteFile(st, []byte("off"), 0); err != nil {
			undo()
			return "", nil, fmt.Errorf("stopping DAMON (%s): %w", st, err)
		}
		stopped = append(stopped, st)
	}
	if len(stopped) == 0 {
		return "", nil, nil
	}
	return fmt.Sprintf("%d DAMON worker(s) stopped for the run", len(stopped)), undo, nil
}

// noReportingOrder returns an order that no free block reaches: one past the
// largest of /proc/buddyinfo.
func noReportingOrder() (string, error) {
	f, err := os.Open("/proc/buddyinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return "", fmt.Errorf("/proc/buddyinfo is empty")
	}
	n, err := pastLargestOrder(sc.Text())
	return strconv.Itoa(n), err
}

// pastLargestOrder reads a line of /proc/buddyinfo, "Node 0, zone DMA 1 1
// ...": a count of free blocks per order, from 0, after the zone's name. It
// returns the number of orders, one past the largest.
func pastLargestOrder(line string) (int, error) {
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "Node" || fields[2] != "zone" {
		return 0, fmt.Errorf("/proc/buddyinfo: unexpected line %q", line)
	}
	return len(fields) - 4, nil
}

// prefault maps all of MemAvailable but spare, has the kernel fault every
// page in, and unmaps it. It returns the bytes touched and how long it took.
func prefault(spare int64) (int64, time.Duration, error) {
	avail, err := memAvailable()
	if err != nil {
		return 0, 0, err
	}
	n := avail - spare
	if n <= 0 {
		return 0, 0, nil
	}
	t0 := time.Now()
	b, err := unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_ANON|unix.MAP_PRIVATE|unix.MAP_POPULATE|unix.MAP_NORESERVE)
	if err != nil {
		return 0, 0, fmt.Errorf("touching %s of free memory: %w", mib(n), err)
	}
	d := time.Since(t0)
	return n, d, unix.Munmap(b)
}
