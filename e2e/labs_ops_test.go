package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// labSetup writes a marker that names the student and the host it ran
// for; labCheck passes on router, and on pc when /root/done is there.
const (
	labSetup = "#!/bin/sh\nsleep 1\necho \"$VMHOST_STUDENT $VMHOST_HOST\" > /root/setup-marker\necho setup ran for $VMHOST_STUDENT\n"
	labCheck = `#!/bin/sh
[ "$VMHOST_HOST" = router ] && exit 0
if [ -f /root/done ]; then echo "all good"; exit 0; fi
echo "FAIL: /root/done is missing"
echo "FAIL: run touch /root/done"
exit 1
`
)

// newLabDaemon starts a daemon with the class net101: teacher tina,
// students s01 and s02, hosts pc and router, the setup and check above.
func newLabOpsDaemon(t *testing.T) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	keyDir := filepath.Join(d.baseDir, "keys")
	for _, u := range []string{"tina", "s01", "s02"} {
		d.keys[u], d.cfg.keys[u] = makeKey(t, keyDir, u)
	}
	labDir := filepath.Join(d.baseDir, "net101")
	os.Mkdir(labDir, 0o755)
	for name, text := range map[string]string{"setup.sh": labSetup, "check.sh": labCheck} {
		if err := os.WriteFile(filepath.Join(labDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d.writeConfig(t, d.cfg.yaml()+`classes:
  net101:
    teachers: [tina]
    students: [s01, s02]
    hosts: {pc: {}, router: {}}
    setup: net101/setup.sh
    check: net101/check.sh
    check_timeout: 20s
`)
	d.start(t)
	return d
}

// sshIO runs `ssh login@host command` with key (login's own unless given)
// and stdin, and returns its raw output.
func (d *daemon) sshIO(t *testing.T, key, login, stdin, command string) (stdout []byte, stderr string, code int) {
	t.Helper()
	if key == "" {
		key = d.keyOf(t, login)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*sshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sshPath, append(d.sshArgs(key, login), command)...)
	cmd.Env = sshEnv()
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("ssh %s %q: no end in time; stderr %q", login, command, errOut.String())
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running ssh: %v", err)
	}
	return out.Bytes(), errOut.String(), code
}

// labReport is what the tests read of a report in JSON.
type labReport struct {
	Op, Class, By    string
	Students, Passed int
	Results          []struct {
		Student, Host, Guest, Result, Error, File string
		Fail                                      []string
		ExitCode                                  int `json:"exit_code"`
	}
}

// verdicts returns "GUEST RESULT FAILS" per result.
func (r labReport) verdicts() []string {
	var out []string
	for _, x := range r.Results {
		out = append(out, fmt.Sprintf("%s %s %d", x.Guest, x.Result, len(x.Fail)))
	}
	return out
}

func TestLabOps(t *testing.T) {
	t.Parallel()
	d := newLabOpsDaemon(t)

	out := d.mustAdmin(t, "lab", "provision", "net101")
	if !strings.Contains(out, "[4/4]") || !strings.Contains(out, "provision net101: 2/2 ok") {
		t.Errorf("lab provision:\n%s", out)
	}
	for login, want := range map[string]string{"s01": "s01 pc\n", "s02+router": "s02 router\n"} {
		if got := d.mustSSH(t, login, "cat /root/setup-marker"); got != want {
			t.Errorf("%s: setup marker %q, want %q", login, got, want)
		}
	}
	if log := d.mustSSH(t, "s01", "cat /var/log/vmhost-boot.log"); !strings.Contains(log, "vmhost: setup of class net101 for s01 on pc") || !strings.Contains(log, "setup ran for s01") {
		t.Errorf("s01's boot log has no setup:\n%s", log)
	}
	t.Run("Check", func(t *testing.T) { testLabCheck(t, d) })
	t.Run("Status", func(t *testing.T) { testLabStatus(t, d) })
	t.Run("Reset", func(t *testing.T) { testLabReset(t, d) })
	t.Run("LoginWaitsForSetup", func(t *testing.T) {
		d.mustAdmin(t, "guest", "rm", "s02+router", "--yes", "--force")
		if got := d.mustSSH(t, "s02+router", "cat /root/setup-marker"); got != "s02 router\n" {
			t.Errorf("the first login to a new guest ran before its setup: marker %q", got)
		}
	})
	t.Run("Files", func(t *testing.T) { testLabFiles(t, d) })
	t.Run("Refused", func(t *testing.T) { testLabRefused(t, d) })
	t.Run("HostileGuest", func(t *testing.T) { testLabHostileGuest(t, d) })
	t.Run("Audit", func(t *testing.T) {
		for _, s := range []string{"msg=lab audit=true op=provision class=net101 by=root", "op=check class=net101 by=tina", "op=reset class=net101 by=root student=s01 students=1 passed=1", "op=collect class=net101 by=tina students=2 passed=1 path=/root/answer.txt"} {
			if !strings.Contains(d.log(), s) {
				t.Errorf("the daemon's log has no %q", s)
			}
		}
	})
}

// testLabCheck checks with root's command line (table, CSV, JSON), with
// tina's :lab and with each student's :check.
func testLabCheck(t *testing.T, d *daemon) {
	d.mustSSH(t, "s01", "touch /root/done")
	res := d.admin(t, "", "lab", "check", "net101")
	if res.code != 1 || !strings.Contains(res.stdout, "check net101: 1/2 pass") || !strings.Contains(res.stdout, "FAIL: /root/done is missing") {
		t.Errorf("lab check: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = d.admin(t, "", "lab", "check", "net101", "--csv")
	rows, err := csv.NewReader(strings.NewReader(res.stdout)).ReadAll()
	want := [][]string{{"student", "host", "result", "fail"}, {"s01", "pc", "pass", ""}, {"s01", "router", "pass", ""},
		{"s02", "pc", "fail", "FAIL: /root/done is missing\nFAIL: run touch /root/done"}, {"s02", "router", "pass", ""}}
	if err != nil || !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("lab check --csv = %q (%v), want %q", rows, err, want)
	}
	var rep labReport
	res = d.admin(t, "", "lab", "check", "net101", "--json")
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || rep.Passed != 1 || rep.Students != 2 || rep.By != "root" {
		t.Errorf("lab check --json: %v\n%s", err, res.stdout)
	}
	stdout, stderr, code := d.sshIO(t, "", "tina", "", ":lab check net101 --json")
	rep = labReport{}
	wantV := []string{"s01+pc pass 0", "s01+router pass 0", "s02+pc fail 2", "s02+router pass 0"}
	if err := json.Unmarshal(stdout, &rep); err != nil || code != 1 || !slices.Equal(rep.verdicts(), wantV) || rep.By != "tina" {
		t.Errorf("ssh tina ':lab check net101 --json': exit %d, %v, %v\n%s\nstderr: %s", code, err, rep.verdicts(), stdout, stderr)
	}
	stdout, _, code = d.sshIO(t, "", "s02", "", ":check")
	if code != 1 || !strings.Contains(string(stdout), "pc: fail\n  FAIL: /root/done is missing\n") || !strings.Contains(string(stdout), "router: pass") {
		t.Errorf("s02's :check: exit %d\n%s", code, stdout)
	}
	if stdout, _, code = d.sshIO(t, "", "s01", "", ":check"); code != 0 || !strings.Contains(string(stdout), "check net101: 1/1 pass") {
		t.Errorf("s01's :check: exit %d\n%s", code, stdout)
	}
	runs, _ := filepath.Glob(filepath.Join(d.dataDir, "labs", "net101", "checks", "*.json"))
	if len(runs) != 4 { // table, CSV, JSON and tina's; the students' own are not kept
		t.Errorf("check runs kept: %v, want 4", runs)
	}
}

// labStatusRow is what the tests read of lab status --json.
type labStatusRow struct {
	Guest, State string
	Connected    int
	LastLogin    time.Time `json:"last_login"`
	Setup        *struct{ Result string }
	Check        *struct {
		Result string
		Fail   []string
	}
}

// testLabStatus reads the status as JSON, from root and from tina.
func testLabStatus(t *testing.T, d *daemon) {
	var rows []labStatusRow
	if err := json.Unmarshal([]byte(d.mustAdmin(t, "lab", "status", "net101", "--json")), &rows); err != nil || len(rows) != 4 {
		t.Fatalf("lab status --json: %v, %d rows", err, len(rows))
	}
	for _, r := range rows {
		if r.State != "running" || r.Setup == nil || r.Setup.Result != "ok" || r.Check == nil {
			t.Errorf("status of %s: %+v", r.Guest, r)
		}
	}
	if r := rows[2]; r.Guest != "s02+pc" || r.Check.Result != "fail" || len(r.Check.Fail) != 2 {
		t.Errorf("status of s02+pc: %+v", r)
	}
	if rows[0].LastLogin.IsZero() {
		t.Errorf("s01+pc has no last login after ssh s01: %+v", rows[0])
	}
	stdout, stderr, code := d.sshIO(t, "", "tina", "", ":lab status net101 s02 --json")
	rows = nil
	if err := json.Unmarshal(stdout, &rows); err != nil || code != 0 || len(rows) != 2 {
		t.Errorf("ssh tina ':lab status net101 s02 --json': %d %v %s %s", code, err, stdout, stderr)
	}
}

// testLabReset resets s01: their file gone, the setup marker back.
func testLabReset(t *testing.T, d *daemon) {
	d.mustSSH(t, "s01", "rm /root/setup-marker")
	d.wantAdminError(t, 2, "confirm it with --yes", "lab", "reset", "net101", "s01")
	out := d.mustAdmin(t, "lab", "reset", "net101", "s01", "--yes")
	if !strings.Contains(out, "reset net101: 1/1 ok") {
		t.Errorf("lab reset:\n%s", out)
	}
	if got := d.mustSSH(t, "s01", "cat /root/setup-marker; ls /root/done 2>&1 || true"); !strings.HasPrefix(got, "s01 pc\n") || !strings.Contains(got, "No such file") {
		t.Errorf("s01 after a reset: %q, want the marker and no /root/done", got)
	}
	if got := d.mustSSH(t, "s02", "cat /root/setup-marker"); got != "s02 pc\n" {
		t.Errorf("s02 after s01's reset: %q", got)
	}
}

// testLabFiles distributes a file and collects answers, with root's
// command line and over SSH.
func testLabFiles(t *testing.T, d *daemon) {
	task := filepath.Join(d.baseDir, "task.txt")
	os.WriteFile(task, []byte("configure eth1\n"), 0o644)
	if out := d.mustAdmin(t, "lab", "distribute", "net101", task, "/root/lab/task.txt"); !strings.Contains(out, "distribute net101: 2/2 ok") {
		t.Errorf("lab distribute:\n%s", out)
	}
	if got := d.mustSSH(t, "s02+router", "cat /root/lab/task.txt"); got != "configure eth1\n" {
		t.Errorf("s02+router's task = %q", got)
	}
	if _, stderr, code := d.sshIO(t, "", "tina", "second task\n", ":lab distribute net101 /root/task2.txt"); code != 0 {
		t.Errorf("ssh tina ':lab distribute': exit %d %s", code, stderr)
	}
	if got := d.mustSSH(t, "s01+router", "cat /root/task2.txt"); got != "second task\n" {
		t.Errorf("s01+router's task2 = %q", got)
	}

	d.mustSSH(t, "s01", "echo pc answer > /root/answer.txt")
	d.mustSSH(t, "s01+router", "echo router answer > /root/answer.txt")
	d.mustSSH(t, "s02+router", "ln -s /etc/shadow /root/answer.txt") // a symlink, followed in the guest only
	dir := filepath.Join(d.baseDir, "answers")
	res := d.admin(t, "", "lab", "collect", "net101", "/root/answer.txt", dir)
	if res.code != 0 || !strings.Contains(res.stdout, "s02      pc      missing") || !strings.Contains(res.stdout, "collect net101: 1/2 ok, 1 missing") {
		t.Errorf("lab collect: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for name, want := range map[string]string{"s01/answer.txt": "pc answer\n", "s01/router/answer.txt": "router answer\n"} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); string(got) != want {
			t.Errorf("%s = %q (%v), want %q", name, got, err, want)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dir, "s02/router/answer.txt")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("s02/router/answer.txt, the guest's /etc/shadow through its symlink: %v, %v; want a regular file", fi, err)
	}
	os.WriteFile(filepath.Join(dir, "s01/answer.txt"), []byte("graded\n"), 0o600)
	res = d.admin(t, "", "lab", "collect", "net101", "/root/answer.txt", dir, "s01")
	if res.code != 1 || !strings.Contains(res.stdout, "nothing is overwritten") {
		t.Errorf("a second collect into %s: exit %d\n%s%s", dir, res.code, res.stdout, res.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "s01/answer.txt")); string(got) != "graded\n" {
		t.Errorf("s01/answer.txt overwritten by a second collect: %q", got)
	}

	stdout, stderr, code := d.sshIO(t, "", "tina", "", ":lab collect net101 /root/answer.txt")
	names := tarNames(t, stdout)
	if code != 0 || !slices.Equal(names, []string{"s01/answer.txt", "s01/router/answer.txt", "s02/router/answer.txt"}) || !strings.Contains(stderr, "missing") {
		t.Errorf("ssh tina ':lab collect': exit %d, entries %q\nstderr: %s", code, names, stderr)
	}
}

// tarNames returns the names of the entries of a tar stream, sorted.
func tarNames(t *testing.T, data []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("reading the tar stream: %v", err)
			break
		}
		names = append(names, h.Name)
	}
	slices.Sort(names)
	return names
}

// testLabRefused wants :lab refused to students, with the reason.
func testLabRefused(t *testing.T, d *daemon) {
	for _, login := range []string{"s01", "s02+router"} {
		if _, stderr, code := d.sshIO(t, "", login, "", ":lab status net101"); code != 1 || !strings.Contains(stderr, "teaches none") {
			t.Errorf("ssh %s ':lab status net101': exit %d, %q; want refused", login, code, stderr)
		}
	}
	if _, stderr, code := d.sshIO(t, d.keyOf(t, "tina"), "tina", "", ":lab status sec201"); code != 1 || !strings.Contains(stderr, "tina teaches net101") {
		t.Errorf("tina's :lab of a class she does not teach: exit %d, %q", code, stderr)
	}
	if guests := d.adminGuests(t); guests["tina"].ID != "" {
		t.Errorf("tina's :lab made her a guest: %+v", guests["tina"])
	}
}

// hostileShell replaces the guest's /bin/sh, which runs every check and
// copy, with one that floods its output (10 MB, with terminal escapes in
// a FAIL line) and claims success.
const hostileShell = `cat > /root/evilsh <<'EOF'
#!/bin/busybox sh
printf 'FAIL: \033]0;owned\007\033[2Jcleared\n'
i=0; while [ $i -lt 10 ]; do busybox head -c 1000000 /dev/zero; i=$((i+1)); done
exit 0
EOF
chmod 755 /root/evilsh && rm /bin/sh && cp /root/evilsh /bin/sh`

// testLabHostileGuest has s02's router answer every check and copy with a
// flood: what the daemon keeps is bounded and printable, the file is
// refused, and the class goes on.
func testLabHostileGuest(t *testing.T, d *daemon) {
	d.mustSSH(t, "s02+router", hostileShell)
	res := d.admin(t, "", "lab", "check", "net101", "s02", "--json")
	var rep struct {
		Results []struct {
			Guest, Result, Output string
			Fail                  []string
			Cut                   bool
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || len(rep.Results) != 2 {
		t.Fatalf("lab check of s02 with a hostile router: %v\n%s%s", err, res.stdout, res.stderr)
	}
	r := rep.Results[1]
	if r.Guest != "s02+router" || !r.Cut || len(r.Output) > 64<<10 || len(r.Fail) != 1 || r.Fail[0] != "FAIL: ?]0;owned??[2Jcleared" {
		t.Errorf("hostile router's check: cut %v, %d bytes of output, FAIL lines %q", r.Cut, len(r.Output), r.Fail)
	}
	dir := filepath.Join(d.baseDir, "hostile")
	res = d.admin(t, "", "lab", "collect", "net101", "/root/answer.txt", dir, "s02")
	if res.code != 1 || !strings.Contains(res.stdout, "larger than 8388608 bytes") {
		t.Errorf("collect from the hostile router: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "s02", "router")); err == nil {
		t.Errorf("something of the hostile router's flood was written")
	}
	if out := d.mustAdmin(t, "lab", "status", "net101", "s01"); !strings.Contains(out, "running") {
		t.Errorf("status after the hostile router:\n%s", out)
	}
}
