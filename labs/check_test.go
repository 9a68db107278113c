package labs

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vmhost/protocol"
)

func TestFailLines(t *testing.T) {
	many := strings.Repeat("FAIL: x\n", maxFailLines+3)
	tests := []struct {
		name, out string
		want      []string
	}{
		{"none", "all good\n", []string{}},
		{"some", "ok 1\nFAIL: no address on eth1\nnot FAIL: this\nFAIL: ping\r\n", []string{"FAIL: no address on eth1", "FAIL: ping"}},
		{"escapes", "FAIL: \x1b[2Jcleared\x07\n", []string{"FAIL: ?[2Jcleared?"}},
		{"bidi", "FAIL: a\u202eb\n", []string{"FAIL: a?b"}},
		{"invalid utf-8", "FAIL: \xff\xfe\n", []string{"FAIL: ??"}},
		{"long", "FAIL: " + strings.Repeat("a", 1000), []string{"FAIL: " + strings.Repeat("a", maxFailLine-6) + "…"}},
		{"many", many, append(slicesRepeat("FAIL: x", maxFailLines), "FAIL: (3 more FAIL lines)")},
		{"no trailing newline", "FAIL: last", []string{"FAIL: last"}},
	}
	for _, tt := range tests {
		if got := FailLines([]byte(tt.out)); !cmp.Equal(got, tt.want) {
			t.Errorf("%s: FailLines(%q) diff (-got +want):\n%s", tt.name, tt.out, cmp.Diff(got, tt.want))
		}
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// checkBehaviour passes for s01 and fails with FAIL lines for s02,
// after checking the request.
func checkBehaviour(t *testing.T) behaviour {
	return func(req protocol.SpawnRequest, stdin []byte) ([]byte, int, bool) {
		if !scriptIs(req, runScript) || string(stdin) != "#!/bin/sh\ncheck\n" {
			t.Errorf("check ran %q with input %q", req.Argv, stdin)
		}
		for _, v := range []string{"VMHOST_CLASS=net101", "VMHOST_HOST="} {
			if !strings.Contains(strings.Join(req.Env, " "), v) {
				t.Errorf("check's environment %q has no %s", req.Env, v)
			}
		}
		if strings.Contains(strings.Join(req.Env, " "), "VMHOST_STUDENT=s02") {
			return []byte("checking\nFAIL: no /root/done\nFAIL: eth1 has no address\n"), 1, false
		}
		return []byte("checking\nall fine\n"), 0, false
	}
}

func TestCheck(t *testing.T) {
	cfg := testConfig(t, "#!/bin/sh\ncheck\n", "pc", "router")
	guests := newFakeGuests("s01+pc", "s01+router", "s02+pc")
	for _, id := range []string{"s01+pc", "s01+router", "s02+pc"} {
		guests.do[id] = checkBehaviour(t)
	}
	svc, dir := newTestService(t, cfg, guests)
	var progress bytes.Buffer
	rep, err := svc.Check(context.Background(), Request{Class: "net101", By: "tina"}, &progress)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		guest, result string
		fail          int
	}
	var got []row
	for _, r := range rep.Results {
		got = append(got, row{r.Guest, r.Result, len(r.Fail)})
	}
	want := []row{{"s01+pc", "pass", 0}, {"s01+router", "pass", 0}, {"s02+pc", "fail", 2}, {"s02+router", "fail", 0}}
	if !cmp.Equal(got, want, cmp.AllowUnexported(row{})) {
		t.Errorf("check results diff (-got +want):\n%s", cmp.Diff(got, want, cmp.AllowUnexported(row{})))
	}
	if rep.Summary() != "check net101: 1/2 pass" {
		t.Errorf("summary %q, want 1/2 pass", rep.Summary())
	}
	if !strings.Contains(rep.Results[3].Error, "no guest yet") {
		t.Errorf("s02+router, never made: %+v", rep.Results[3])
	}
	if !strings.Contains(progress.String(), "s02+pc: fail (2 FAIL lines)") {
		t.Errorf("progress %q has no line for s02+pc", progress.String())
	}
	checkKept(t, dir, svc)
}

// checkKept wants the check run kept 0600 in 0700 directories, and the
// last check of each guest in status.
func checkKept(t *testing.T, dir string, svc *Service) {
	t.Helper()
	runs, _ := filepath.Glob(filepath.Join(dir, "net101", "checks", "*.json"))
	if len(runs) != 1 {
		t.Fatalf("kept runs %v, want one", runs)
	}
	for p, want := range map[string]os.FileMode{runs[0]: 0o600, filepath.Dir(runs[0]): 0o700, dir: 0o700, filepath.Join(dir, "net101"): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want mode %v", p, fi.Mode(), err, want)
		}
	}
	rows, err := svc.Status(Request{Class: "net101", Student: "s02"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Check == nil || rows[0].Check.Result != "fail" || rows[0].Check.Fail[0] != "FAIL: no /root/done" || rows[1].State != StateNone {
		t.Errorf("status of s02: %+v", rows)
	}
}

func TestCheckBounds(t *testing.T) {
	tests := []struct {
		name     string
		do       behaviour
		result   string
		cut      bool
		errorHas string
	}{
		{"pass", func(protocol.SpawnRequest, []byte) ([]byte, int, bool) { return []byte("ok\n"), 0, false }, "pass", false, ""},
		{"exit 3", func(protocol.SpawnRequest, []byte) ([]byte, int, bool) { return nil, 3, false }, "fail", false, ""},
		{"floods", func(protocol.SpawnRequest, []byte) ([]byte, int, bool) {
			return bytes.Repeat([]byte("y\n"), MaxOutput), 0, false
		}, "pass", true, ""},
		{"hangs", func(protocol.SpawnRequest, []byte) ([]byte, int, bool) { return []byte("FAIL: slow\n"), 0, true }, "fail", false, "did not end in time"},
	}
	for _, tt := range tests {
		cfg := testConfig(t, "true\n")
		cl := cfg.Classes["net101"]
		cl.CheckTimeout = 1e9
		cfg.Classes["net101"] = cl
		guests := newFakeGuests("s01")
		guests.do["s01"] = tt.do
		svc, _ := newTestService(t, cfg, guests)
		start := time.Now()
		rep, err := svc.Check(context.Background(), Request{Class: "net101", Student: "s01"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Results[0]
		if r.Result != tt.result || r.Cut != tt.cut || !strings.Contains(r.Error, tt.errorHas) || len(r.Output) > MaxOutput {
			t.Errorf("%s: result %s cut %v error %q output %d bytes; want %s cut %v error with %q", tt.name, r.Result, r.Cut, r.Error, len(r.Output), tt.result, tt.cut, tt.errorHas)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: took %v with a timeout of 1s", tt.name, took)
		}
	}
}

func TestReportFormats(t *testing.T) {
	rep := Report{Op: "check", Class: "net101", Results: []Result{
		{Target: Target{"s01", "pc", "s01+pc"}, Result: "pass", Fail: []string{}},
		{Target: Target{"s02", "pc", "s02+pc"}, Result: "fail", Fail: []string{"FAIL: a, b", "FAIL: \"c\""}, ExitCode: 1},
	}}
	rep.tally()
	var b bytes.Buffer
	if err := WriteReport(&b, rep, FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	want := [][]string{{"student", "host", "result", "fail"}, {"s01", "pc", "pass", ""}, {"s02", "pc", "fail", "FAIL: a, b\nFAIL: \"c\""}}
	if err != nil || !cmp.Equal(rows, want) {
		t.Errorf("CSV %v (%v), diff:\n%s", rows, err, cmp.Diff(rows, want))
	}
	b.Reset()
	WriteReport(&b, rep, FormatJSON)
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || !cmp.Equal(back, rep) {
		t.Errorf("JSON does not read back (%v): %s", err, cmp.Diff(back, rep))
	}
	b.Reset()
	WriteReport(&b, rep, FormatTable)
	for _, s := range []string{"STUDENT", "s02      pc    fail", "FAIL: \"c\"", "check net101: 1/2 pass"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("table has no %q:\n%s", s, b.String())
		}
	}
}

func TestClassBusy(t *testing.T) {
	cfg := testConfig(t, "true\n")
	cl := cfg.Classes["net101"]
	cl.CheckTimeout = 1e9
	cfg.Classes["net101"] = cl
	guests := newFakeGuests("s01")
	started := make(chan struct{}, 1)
	guests.do["s01"] = func(protocol.SpawnRequest, []byte) ([]byte, int, bool) {
		started <- struct{}{}
		return nil, 0, true // runs until the check's timeout
	}
	svc, _ := newTestService(t, cfg, guests)
	done := make(chan error, 1)
	go func() {
		_, err := svc.Check(context.Background(), Request{Class: "net101", Student: "s01"}, io.Discard)
		done <- err
	}()
	<-started
	if _, err := svc.Provision(context.Background(), Request{Class: "net101"}, io.Discard); !errors.Is(err, ErrClassBusy) {
		t.Errorf("provision during a check: %v, want ErrClassBusy", err)
	}
	if _, err := svc.Status(Request{Class: "net101"}); err != nil {
		t.Errorf("status during a check: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Stop(context.Background(), Request{Class: "net101"}, io.Discard); err != nil {
		t.Errorf("stop after the check: %v", err)
	}
}
