package guest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// initOOMScoreAdj keeps a guest's init out of the OOM killer's way: at
// memory pressure inside the guest's cgroup the biggest other process goes,
// not the init. Not -1000 (never killed): the guest's processes may go down
// to what the init has, and must stay killable. The init sets each process it
// starts back to 0.
const initOOMScoreAdj = -999

// protectInit sets the oom_score_adj of the init pid. Equivalent to: `echo
// -999 > /proc/PID/oom_score_adj`.
func protectInit(log *slog.Logger, pid int) {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(strconv.Itoa(initOOMScoreAdj)), 0); err != nil {
		log.Warn("keeping the init of guest from the OOM killer", "err", err)
	}
}

// maxNetDev bounds what is read of a guest's /proc/PID/net/dev: about ten
// thousand interfaces; the rest are not counted.
const maxNetDev = 2 << 20

// netDevBytes sums the bytes received and sent by the interfaces of the
// network namespace of pid, loopback aside, from /proc/PID/net/dev. Not
// through procfs's NetDev, which reads all of a file whose length the guest
// decides (a line per interface it makes).
func netDevBytes(pid int) (rx, tx uint64, err error) {
	// The guest decides how many interfaces it has: read a bounded part.
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxNetDev))
	if err != nil {
		return 0, 0, err
	}
	if len(b) == maxNetDev { // cut: drop the last, partial line
		b = b[:bytes.LastIndexByte(b, '\n')+1]
	}
	return parseNetDev(b)
}

// parseNetDev sums the receive and transmit bytes of a /proc/net/dev file,
// loopback aside.
func parseNetDev(b []byte) (rx, tx uint64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 16 {
			return 0, 0, fmt.Errorf("reading net/dev: short line %q", sc.Text())
		}
		r, err1 := strconv.ParseUint(f[0], 10, 64)
		t, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("reading net/dev: bad numbers in %q", sc.Text())
		}
		rx, tx = rx+r, tx+t
	}
	return rx, tx, sc.Err()
}
