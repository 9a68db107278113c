package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vmhost/labs"
	"vmhost/web"
)

func TestWebReport(t *testing.T) {
	rep := labs.Report{Op: "check", Class: "net101", Time: time.Now(), By: "tina", Students: 2, Passed: 1, Results: []labs.Result{
		{Target: labs.Target{Student: "s01", Host: "pc", Guest: "s01+pc"}, Result: labs.ResultPass, Output: "all good"},
		{Target: labs.Target{Student: "s02", Host: "pc", Guest: "s02+pc"}, Result: labs.ResultFail, Fail: []string{"no route"}, ExitCode: 1},
		{Target: labs.Target{Student: "s03", Host: "pc", Guest: "s03+pc"}, Result: labs.ResultFail, ExitCode: -1, Error: "no guest yet"},
	}}
	want := web.LabReport{Summary: "check net101: 1/2 pass", Results: []web.LabResult{
		{Student: "s01", Login: "s01+pc", Result: "pass", Fail: []string{}},
		{Student: "s02", Login: "s02+pc", Result: "fail", Fail: []string{"no route"}},
		{Student: "s03", Login: "s03+pc", Result: "fail", Fail: []string{}, Error: "no guest yet"},
	}}
	if diff := cmp.Diff(want, webReport(rep)); diff != "" {
		t.Errorf("webReport (-want +got):\n%s", diff)
	}
}
