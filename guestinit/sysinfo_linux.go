package guestinit

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/inroot"
	"vmhost/syscallfilter"
)

// sysinfoServer answers the sysinfo calls of guest processes, which the
// filter of the fork thread hands to the init (syscallfilter.Listener),
// with the guest's own machine (guestSysinfo). It runs on the init's
// unfiltered threads, one call at a time: a guest that floods sysinfo
// spends its own init's CPU time, in its own cgroup. Whatever goes wrong
// with a call lets it run in the kernel instead (the host's numbers).
type sysinfoServer struct {
	l      *syscallfilter.Listener
	proc   int          // the init's /proc (openProc)
	files  *cgroupFiles // nil: memory as the host's
	clock  guestClock
	log    *slog.Logger
	failed bool // a failure was logged already
}

// serve answers calls until the listener fails for good.
func (s *sysinfoServer) serve() {
	for {
		n, err := s.l.Receive()
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINTR) {
			continue // the caller went away before we took its call
		}
		if err != nil {
			s.log.Error("guest init: no more sysinfo answers", "err", err)
			return
		}
		s.handle(n)
	}
}

// handle answers one call, or lets it run in the kernel.
func (s *sysinfoServer) handle(n syscallfilter.Notification) {
	defer handlePanic(s.log, "answering sysinfo", func(error) { s.letRun(n.ID) })
	err := s.answer(n)
	if err == nil {
		return
	}
	if !errors.Is(err, errCallGone) {
		s.letRun(n.ID)
	}
	if !s.failed && !errors.Is(err, errCallGone) {
		s.failed = true
		s.log.Warn("guest init: a sysinfo call got the host's numbers", "err", err)
	}
}

// letRun lets the call id run in the kernel; should the kernel refuse,
// the call fails with ENOSYS rather than wait for good.
func (s *sysinfoServer) letRun(id uint64) {
	if err := s.l.Continue(id); err != nil && !errors.Is(err, unix.ENOENT) {
		s.l.Fail(id, unix.ENOSYS)
	}
}

// errCallGone is a call whose caller ended or was interrupted.
var errCallGone = errors.New("the call is gone")

// answer writes the guest's struct sysinfo where the caller asked, and
// returns 0 to it. The caller's memory is written through /proc/PID/mem,
// opened before the call is checked to still wait: the descriptor is then
// the caller's memory, even if the pid is reused afterwards.
func (s *sysinfoServer) answer(n syscallfilter.Notification) error {
	_, longSize, ok := syscallfilter.NotifiedCall(n.Arch, n.Nr)
	if !ok {
		return fmt.Errorf("call %d of architecture %#x is not one the init answers", n.Nr, n.Arch)
	}
	addr := n.Args[0]
	if longSize == 4 {
		addr &= math.MaxUint32
	}
	if addr == 0 || addr > math.MaxInt64 {
		return fmt.Errorf("address %#x: the kernel answers EFAULT", addr)
	}
	info, err := s.info()
	if err != nil {
		return err
	}
	mem, err := inroot.Open(s.proc, strconv.Itoa(n.Pid)+"/mem", unix.O_WRONLY, inProc)
	if err != nil {
		return fmt.Errorf("opening the memory of %d: %w", n.Pid, err)
	}
	defer unix.Close(mem)
	if !s.l.Valid(n.ID) {
		return errCallGone
	}
	if _, err := unix.Pwrite(mem, info.encode(longSize), int64(addr)); err != nil {
		return fmt.Errorf("writing to the memory of %d at %#x: %w", n.Pid, addr, err)
	}
	if err := s.l.Return(n.ID, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// info is the guest's sysinfo now.
func (s *sysinfoServer) info() (sysinfo, error) {
	var k unix.Sysinfo_t
	if err := unix.Sysinfo(&k); err != nil {
		return sysinfo{}, fmt.Errorf("asking the kernel: %w", err)
	}
	boot, _, err := clocksNow()
	if err != nil {
		return sysinfo{}, err
	}
	host := hostSysinfo(&k)
	if s.files == nil {
		host.uptime = s.clock.uptime(boot)
		return host, nil
	}
	return guestSysinfo(host, s.files.counts(), s.clock.uptime(boot)), nil
}

// hostSysinfo converts the kernel's answer to bytes.
func hostSysinfo(k *unix.Sysinfo_t) sysinfo {
	u := uint64(max(k.Unit, 1))
	return sysinfo{
		uptime: time.Duration(k.Uptime) * time.Second, loads: [3]uint64{uint64(k.Loads[0]), uint64(k.Loads[1]), uint64(k.Loads[2])},
		totalRAM: uint64(k.Totalram) * u, freeRAM: uint64(k.Freeram) * u, sharedRAM: uint64(k.Sharedram) * u,
		bufferRAM: uint64(k.Bufferram) * u, totalSwap: uint64(k.Totalswap) * u, freeSwap: uint64(k.Freeswap) * u,
		procs: uint64(k.Procs), totalHigh: uint64(k.Totalhigh) * u, freeHigh: uint64(k.Freehigh) * u,
	}
}

// startSysinfo serves l, when the fork thread got one, with the guest's
// cgroup files; without them memory stays the host's and a log line says
// so.
func startSysinfo(l *syscallfilter.Listener, proc int, clock guestClock, log *slog.Logger) {
	if l == nil {
		return
	}
	files, err := openCgroupFiles(proc)
	if err != nil {
		log.Warn("guest init: sysinfo shows the host's memory", "err", err)
	}
	s := &sysinfoServer{l: l, proc: proc, files: files, clock: clock, log: log}
	go s.serve()
}

// filterThread installs the guest filter on the fork thread, with a
// listener for sysinfo where the kernel can (s.sysinfo); where it cannot,
// the plain filter and a log line.
func (s *spawner) filterThread() error {
	l, err := syscallfilter.InstallThreadNotify()
	if errors.Is(err, syscallfilter.ErrNoNotify) {
		s.log.Warn("guest init: sysinfo shows the host's memory and uptime", "err", err)
		return nil
	}
	s.sysinfo = l
	return err
}
