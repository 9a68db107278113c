package procstat

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkServeRead measures a guest's read of its /proc/stat through the
// server: open, read, close, from a process in the guest's group, with
// the content made afresh at most every contentTTL. Run with
// `sudo go test -run '^$' -bench ServeRead ./view/procstat/`.
func BenchmarkServeRead(b *testing.B) {
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("skipping: no python3")
	}
	tg := newTestGuest(b)
	script := `python3 -c '
import os, sys, time
n = int(sys.argv[1]); f = os.environ["F"]
t = time.perf_counter()
for _ in range(n):
    fd = os.open(f, os.O_RDONLY); os.read(fd, 65536); os.close(fd)
print(time.perf_counter() - t)
' ` + strconv.Itoa(b.N)
	b.ResetTimer()
	out := tg.run(b, script)
	secs, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		b.Fatalf("the reading loop said %q", out)
	}
	b.ReportMetric(float64(time.Duration(secs*float64(time.Second)))/float64(b.N), "ns/read")
}
