package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestMetrics scrapes /metrics with a real HTTP client around OpenSSH
// logins, refused logins and a forward: the counters move by the right
// amounts, alice's series appear with her guest and go with it, and the
// token is enforced; the audit lines go to audit_log as JSON.
func TestMetrics(t *testing.T) {
	t.Parallel()
	d, url, auditLog := metricsDaemon(t)
	for _, token := range []string{"", "wrong-token-0123456789"} {
		if code, _ := getMetrics(t, url, token); code != 401 {
			t.Errorf("GET /metrics with token %q: %d, want 401", token, code)
		}
	}
	before := scrapeMetrics(t, url, metricsToken)
	if got := before.guestSeries("alice"); len(got) != 0 {
		t.Errorf("alice's series before her guest exists: %v", got)
	}

	d.mustSSH(t, "alice", "true")
	d.mustSSH(t, "alice", "true")
	stranger, _ := makeKey(t, d.baseDir, "stranger")
	for _, login := range []string{"alice", "nobody"} {
		if _, _, code := d.sshWithKey(t, stranger, login, "true"); code != 255 {
			t.Errorf("ssh %s with a stranger's key: exit %d, want 255", login, code)
		}
	}
	want := []struct {
		name   string
		labels map[string]string
		delta  float64
	}{
		{"vmhost_ssh_logins_total", map[string]string{"outcome": "accepted"}, 2},
		{"vmhost_ssh_logins_total", map[string]string{"outcome": "refused_key"}, 1},
		{"vmhost_ssh_logins_total", map[string]string{"outcome": "unknown_user"}, 1},
		{"vmhost_ssh_logins_total", map[string]string{"outcome": "penalty"}, 0},
		{"vmhost_ssh_handshake_duration_seconds", nil, 2},
		{"vmhost_ssh_login_duration_seconds", nil, 2},
		{"vmhost_errors_total", map[string]string{"kind": "ssh_handshake"}, 2},
		{"vmhost_errors_total", map[string]string{"kind": "session_start"}, 0},
		{"vmhost_image_builds_total", map[string]string{"outcome": "ok"}, 1}, // busybox, at alice's first login
		{"vmhost_image_build_duration_seconds", nil, 1},
	}
	// A refused connection's handshake error is counted when the server
	// sees the connection end, which may be after the client has exited.
	var after metricFamilies
	var wrong []string
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		after, wrong = scrapeMetrics(t, url, metricsToken), nil
		for _, c := range want {
			if got := delta(before, after, c.name, c.labels); got != c.delta {
				wrong = append(wrong, fmt.Sprintf("%s%v moved by %v, want %v", c.name, c.labels, got, c.delta))
			}
		}
		if len(wrong) == 0 || time.Now().After(end) {
			break
		}
	}
	for _, w := range wrong {
		t.Error(w)
	}
	checkAliceSeries(t, d, after)
	checkAlicePids(t, d, url)
	checkForwardCounted(t, d, url)
	checkSFTPCounted(t, d, url)
	checkAuditLog(t, auditLog)
	checkPreAuth(t, d, url)

	d.mustAdmin(t, "image", "build", "busybox", "--rebuild")
	if got := delta(after, scrapeMetrics(t, url, metricsToken), "vmhost_image_builds_total", map[string]string{"outcome": "ok"}); got != 1 {
		t.Errorf("vmhost_image_builds_total{ok} moved by %v after vmhostd image build --rebuild, want 1", got)
	}

	d.mustAdmin(t, "guest", "rm", "alice", "--yes", "--force")
	gone := scrapeMetrics(t, url, metricsToken)
	if got := gone.guestSeries("alice"); len(got) != 0 {
		t.Errorf("alice's series after her guest was removed: %v", got)
	}
}

// delta is how much a series moved from before to after.
func delta(before, after metricFamilies, name string, labels map[string]string) float64 {
	b, _ := before.value(name, labels)
	a, ok := after.value(name, labels)
	if !ok {
		return -1
	}
	return a - b
}

// checkAliceSeries checks alice's running guest has every series of a
// running guest, with numbers that agree with its cgroup files.
func checkAliceSeries(t *testing.T, d *daemon, fams metricFamilies) {
	t.Helper()
	alice := map[string]string{"guest": "alice", "owner": "alice"}
	for _, name := range []string{"vmhost_guest_cpu_seconds_total", "vmhost_guest_memory_bytes", "vmhost_guest_swap_bytes",
		"vmhost_guest_pids", "vmhost_guest_oom_kills_total", "vmhost_guest_io_read_bytes_total",
		"vmhost_guest_network_receive_bytes_total", "vmhost_guest_network_transmit_packets_total",
		"vmhost_guest_start_time_seconds", "vmhost_guest_sessions"} {
		if _, ok := fams.value(name, alice); !ok {
			t.Errorf("%s of alice is missing", name)
		}
	}
	if v, _ := fams.value("vmhost_guest_state", map[string]string{"guest": "alice", "state": "running"}); v != 1 {
		t.Errorf("vmhost_guest_state{alice,running} = %v, want 1", v)
	}
	if v, _ := fams.value("vmhost_guests", map[string]string{"state": "running"}); v != 1 {
		t.Errorf("vmhost_guests{running} = %v, want 1", v)
	}
	use := d.readCgroupUse(t, "alice")
	if v, _ := fams.value("vmhost_guest_cpu_seconds_total", alice); v <= 0 || v > use.cpuSeconds {
		t.Errorf("vmhost_guest_cpu_seconds_total of alice = %v, the cgroup says %v since", v, use.cpuSeconds)
	}
	if v, _ := fams.value("vmhost_guest_start_time_seconds", alice); time.Since(time.Unix(int64(v), 0)) > 10*time.Minute {
		t.Errorf("vmhost_guest_start_time_seconds of alice = %v, not in the last minutes", v)
	}
}

// checkSFTPCounted puts a file of 300,000 bytes into alice's guest with
// OpenSSH's sftp and gets it back, and checks both were counted.
func checkSFTPCounted(t *testing.T, d *daemon, url string) {
	t.Helper()
	const size = 300_000
	local := filepath.Join(d.baseDir, "sftp-payload")
	writeRandomFile(t, local, size)
	before := scrapeMetrics(t, url, metricsToken)
	batch := fmt.Sprintf("put %s /root/payload\nget /root/payload %s.back\n", local, local)
	mustRun(t, batch, sftpPath, append(d.toolArgs(d.keyOf(t, "alice")), "-b", "-", "alice@127.0.0.1")...)
	var after metricFamilies
	waitFor(t, 10*time.Second, "the SFTP bytes counted", func() bool {
		after = scrapeMetrics(t, url, metricsToken)
		return delta(before, after, "vmhost_sftp_bytes_total", map[string]string{"direction": "read"}) != 0
	})
	for _, dir := range []string{"write", "read"} {
		if got := delta(before, after, "vmhost_sftp_bytes_total", map[string]string{"direction": dir}); got != size {
			t.Errorf("vmhost_sftp_bytes_total{%s} moved by %v, want %d", dir, got, size)
		}
	}
}

// checkAlicePids checks alice's process count is her cgroup's, once it is
// the same before and after a scrape (the processes of a session may still
// be ending when ssh returns).
func checkAlicePids(t *testing.T, d *daemon, url string) {
	t.Helper()
	var before, after int64
	var got float64
	waitFor(t, 10*time.Second, "alice's process count to settle", func() bool {
		before = d.readCgroupUse(t, "alice").pids
		got, _ = scrapeMetrics(t, url, metricsToken).value("vmhost_guest_pids", map[string]string{"guest": "alice"})
		after = d.readCgroupUse(t, "alice").pids
		return before == after
	})
	if int64(got) != after {
		t.Errorf("vmhost_guest_pids of alice = %v, the cgroup says %d", got, after)
	}
}

// checkForwardCounted forwards one HTTP request with ssh -W to a server in
// alice's guest, and checks the forward's bytes each way were counted.
func checkForwardCounted(t *testing.T, d *daemon, url string) {
	t.Helper()
	d.serveLoopbackWWW(t, "alice", guestWebPort, "hello-metrics")
	const request = "GET / HTTP/1.0\r\n\r\n"
	var answer string
	waitFor(t, forwardWait, "the guest's web server", func() bool {
		answer = d.forwardW(t, request)
		return strings.Contains(answer, "hello-metrics")
	})
	var before metricFamilies
	waitFor(t, 10*time.Second, "the forwards tried to end", func() bool {
		before = scrapeMetrics(t, url, metricsToken)
		open, _ := before.value("vmhost_ssh_forwards", nil)
		return open == 0
	})
	answer = d.forwardW(t, request)
	var after metricFamilies
	in, out := map[string]string{"direction": "in"}, map[string]string{"direction": "out"}
	waitFor(t, 10*time.Second, "the forward's bytes counted", func() bool {
		after = scrapeMetrics(t, url, metricsToken)
		return delta(before, after, "vmhost_ssh_forwarded_bytes_total", out) != 0
	})
	if got := delta(before, after, "vmhost_ssh_forwarded_bytes_total", in); got != float64(len(request)) {
		t.Errorf("forwarded bytes in moved by %v, want %d", got, len(request))
	}
	if got := delta(before, after, "vmhost_ssh_forwarded_bytes_total", out); got != float64(len(answer)) {
		t.Errorf("forwarded bytes out moved by %v, want %d (the answer)", got, len(answer))
	}
	if v, _ := after.value("vmhost_ssh_forwards", nil); v != 0 {
		t.Errorf("vmhost_ssh_forwards = %v after the forward ended, want 0", v)
	}
}

// forwardW sends request to the guest's web server through `ssh -W` and
// returns the answer.
func (d *daemon) forwardW(t *testing.T, request string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	args := d.sshArgs(d.keyOf(t, "alice"), "alice", "-W", "127.0.0.1:8080")
	cmd := exec.CommandContext(ctx, sshPath, args...)
	cmd.Env = sshEnv()
	cmd.Stdin = strings.NewReader(request)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Run()
	return out.String()
}

// checkPreAuth holds a TCP connection that never logs in, and checks it is
// counted as not yet authenticated until it closes.
func checkPreAuth(t *testing.T, d *daemon, url string) {
	t.Helper()
	nc, err := net.Dial("tcp", d.cfg.listen)
	if err != nil {
		t.Fatal(err)
	}
	preauth := func(want float64) func() bool {
		return func() bool {
			v, _ := scrapeMetrics(t, url, metricsToken).value("vmhost_ssh_preauth_connections", nil)
			return v == want
		}
	}
	waitFor(t, 10*time.Second, "one pre-auth connection", preauth(1))
	nc.Close()
	waitFor(t, 10*time.Second, "no pre-auth connection", preauth(0))
}

// checkAuditLog checks the audit file holds the logins as JSON lines.
func checkAuditLog(t *testing.T, path string) {
	t.Helper()
	var accepted, refused int
	for _, line := range readJSONLines(t, path) {
		if line["audit"] != true {
			t.Errorf("a line of the audit log is not an audit line: %v", line)
		}
		if line["msg"] == "login" && line["outcome"] == "accepted" && line["user"] == "alice" {
			accepted++
		}
		if line["msg"] == "login" && line["outcome"] == "refused" {
			refused++
		}
	}
	if accepted < 2 || refused < 2 {
		t.Errorf("audit log has %d accepted logins of alice and %d refused, want 2 and 2", accepted, refused)
	}
}

// readJSONLines reads a file of JSON objects, one a line.
func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s: %q is not JSON: %v", path, l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestMetricsReload changes the token and rotates the audit log: after
// SIGHUP the old token is refused, the new one taken, and the audit lines
// go to a new file at audit_log's path.
func TestMetricsReload(t *testing.T) {
	t.Parallel()
	d, url, auditLog := metricsDaemon(t)
	scrapeMetrics(t, url, metricsToken)
	const newToken = "e2e-second-token-0123456789"
	if err := os.WriteFile(filepath.Join(d.baseDir, "metrics.token"), []byte(newToken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(auditLog, auditLog+".1"); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the new token to be taken", func() bool {
		code, _ := getMetrics(t, url, newToken)
		return code == 200
	})
	if code, _ := getMetrics(t, url, metricsToken); code != 401 {
		t.Errorf("the old token after reload: %d, want 401", code)
	}
	d.mustSSH(t, "alice", "true")
	waitFor(t, 10*time.Second, "a login line in the new audit log", func() bool {
		b, _ := os.ReadFile(auditLog)
		return bytes.Contains(b, []byte(`"msg":"login"`))
	})
}

// TestMetricsRefusesToStart checks the daemon does not start when its
// metrics would be open to others without a token, or the token cannot be
// read.
func TestMetricsRefusesToStart(t *testing.T) {
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	port := freePort(t)
	for _, tt := range []struct{ section, want string }{
		{"metrics:\n  listen: \"0.0.0.0:" + strconv.Itoa(port) + "\"\n", "is not a loopback address, and metrics.token_file is not set"},
		{"metrics:\n  listen: \"127.0.0.1:" + strconv.Itoa(port) + "\"\n  token_file: /nonexistent/token\n", "reading metrics.token_file"},
	} {
		d.writeConfig(t, d.cfg.yaml()+tt.section)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, daemonBin, "serve", "--config", d.configPath).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("vmhostd serve with %q: %v, want a refusal with %q:\n%s", tt.section, err, tt.want, out)
		}
	}
}

// TestTopOnceJSON checks `vmhostd top --once --json` lists the guests with
// numbers that match their cgroup files.
func TestTopOnceJSON(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	d.mustSSH(t, "bob", "true")
	var before, after cgroupUse
	var res string
	waitFor(t, 20*time.Second, "alice's process count to settle", func() bool {
		before = d.readCgroupUse(t, "alice")
		res = d.mustAdmin(t, "top", "--once", "--json", "--interval", "500ms")
		after = d.readCgroupUse(t, "alice")
		return before.pids == after.pids
	})
	var rows []struct {
		Guest       string  `json:"guest"`
		State       string  `json:"state"`
		CPUSeconds  float64 `json:"cpu_seconds"`
		CPUPercent  float64 `json:"cpu_percent"`
		MemoryBytes int64   `json:"memory_bytes"`
		Processes   int64   `json:"processes"`
	}
	if err := json.Unmarshal([]byte(res), &rows); err != nil {
		t.Fatalf("vmhostd top --once --json: %v\n%s", err, res)
	}
	ids := []string{}
	for _, r := range rows {
		ids = append(ids, r.Guest)
	}
	if !slices.Contains(ids, "alice") || !slices.Contains(ids, "bob") {
		t.Fatalf("top lists %v, want alice and bob", ids)
	}
	i := slices.Index(ids, "alice")
	r := rows[i]
	if r.State != "running" || r.CPUSeconds < before.cpuSeconds || r.CPUSeconds > after.cpuSeconds {
		t.Errorf("top: alice %+v; the cgroup's CPU went from %v to %v", r, before.cpuSeconds, after.cpuSeconds)
	}
	if r.Processes != after.pids {
		t.Errorf("top: alice has %d processes, the cgroup %d", r.Processes, after.pids)
	}
	if lo, hi := min(before.memory, after.memory), max(before.memory, after.memory); r.MemoryBytes < lo*9/10 || r.MemoryBytes > hi*11/10 {
		t.Errorf("top: alice uses %d bytes, the cgroup %d to %d", r.MemoryBytes, before.memory, after.memory)
	}
	if r.CPUPercent < 0 || r.CPUPercent > 200 {
		t.Errorf("top: alice at %v%% CPU", r.CPUPercent)
	}
}

// TestTopLive runs `vmhostd top` on a terminal: it draws the guests, a key
// sorts them by another column, and q ends it, the terminal given back.
func TestTopLive(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.mustSSH(t, "alice", "true")
	cmd := exec.Command(daemonBin, "top", "--interval", "200ms", "--config", d.configPath)
	cmd.Env = append(os.Environ(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if err != nil {
		t.Fatalf("starting vmhostd top on a pty: %v", err)
	}
	s := &terminal{t: t, cmd: cmd, pty: f, exited: make(chan struct{}), more: make(chan struct{}, 1), eof: make(chan struct{})}
	go s.read()
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
		f.Close()
	})
	s.expect(regexp.MustCompile(`sorted by cpu[^\n]*\r\n\r\nGUEST +STATE[^\n]*\r\nalice +running`), 20*time.Second)
	s.write("m")
	s.expect(regexp.MustCompile(`sorted by memory`), 10*time.Second)
	s.write("q")
	s.expect(regexp.MustCompile(regexp.QuoteMeta("\x1b[?25h\x1b[?1049l")), 10*time.Second) // cursor and screen back
	if code := s.wait(10 * time.Second); code != 0 {
		t.Errorf("vmhostd top ended with %d after q, want 0", code)
	}
}
