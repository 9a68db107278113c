package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// metricsToken is the bearer token of the metrics tests' daemons.
const metricsToken = "e2e-metrics-token-0123456789abcdef"

// metricsDaemon starts a daemon that serves metrics on a free loopback port
// with a token, and writes its audit log to a file of its own; it returns
// the daemon, the /metrics URL and the audit log's path.
func metricsDaemon(t *testing.T) (d *daemon, url, auditLog string) {
	t.Helper()
	d = prepareDaemon(t, daemonOptions{})
	tokenFile := filepath.Join(d.baseDir, "metrics.token")
	if err := os.WriteFile(tokenFile, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	auditLog = filepath.Join(d.baseDir, "audit.log")
	d.writeConfig(t, d.cfg.yaml()+fmt.Sprintf("metrics:\n  listen: %q\n  token_file: %q\naudit_log: %q\n", addr, tokenFile, auditLog))
	d.start(t)
	return d, "http://" + addr + "/metrics", auditLog
}

// metricFamilies are a parsed exposition.
type metricFamilies map[string]*dto.MetricFamily

// scrapeMetrics GETs url with token and parses the Prometheus text format,
// failing the test on any status but 200 or a malformed exposition.
func scrapeMetrics(t testing.TB, url, token string) metricFamilies {
	t.Helper()
	code, body := getMetrics(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d: %s", url, code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the exposition of %s: %v\n%s", url, err, body)
	}
	return fams
}

// getMetrics GETs url with a bearer token (none when empty).
func getMetrics(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// value returns the value of the series of family name whose labels
// include want (a histogram's sample count); ok is false without one.
func (f metricFamilies) value(name string, want map[string]string) (v float64, ok bool) {
	fam := f[name]
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.Metric {
		if !labelsInclude(m, want) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// labelsInclude reports whether m has every label of want.
func labelsInclude(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.Label {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// guestSeries returns the names of the families with a series of guest id.
func (f metricFamilies) guestSeries(id string) []string {
	var names []string
	for name, fam := range f {
		for _, m := range fam.Metric {
			if labelsInclude(m, map[string]string{"guest": id}) {
				names = append(names, name)
				break
			}
		}
	}
	return names
}

// cgroupUse is what a guest's cgroup files say, read by the test itself.
type cgroupUse struct {
	memory     int64 // in use less inactive page cache
	cpuSeconds float64
	pids       int64
}

// readCgroupUse reads the cgroup files of the daemon's guest id, on
// cgroup1 or cgroup2.
func (d *daemon) readCgroupUse(t testing.TB, id string) cgroupUse {
	t.Helper()
	parent := "vmhost-" + d.cfg.bridge
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		dir := filepath.Join("/sys/fs/cgroup", parent, id)
		return cgroupUse{
			memory:     readCgroupInt(t, dir, "memory.current", "") - readCgroupInt(t, dir, "memory.stat", "inactive_file"),
			cpuSeconds: float64(readCgroupInt(t, dir, "cpu.stat", "usage_usec")) / 1e6,
			pids:       readCgroupInt(t, dir, "pids.current", ""),
		}
	}
	mem := filepath.Join("/sys/fs/cgroup/memory", parent, id)
	return cgroupUse{
		memory:     readCgroupInt(t, mem, "memory.usage_in_bytes", "") - readCgroupInt(t, mem, "memory.stat", "total_inactive_file"),
		cpuSeconds: float64(readCgroupInt(t, filepath.Join("/sys/fs/cgroup/cpuacct", parent, id), "cpuacct.usage", "")) / 1e9,
		pids:       readCgroupInt(t, filepath.Join("/sys/fs/cgroup/pids", parent, id), "pids.current", ""),
	}
}

// readCgroupInt reads the number in dir/name, or the one after key in a
// file of "key value" lines.
func readCgroupInt(t testing.TB, dir, name, key string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSpace(string(b))
	if key != "" {
		text = ""
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, " "); ok && k == key {
				text = v
			}
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		t.Fatalf("reading %s %s: %q: %v", filepath.Join(dir, name), key, text, err)
	}
	return n
}
