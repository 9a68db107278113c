package admin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vmhost/labs"
)

// fakeLabs answers for class net101 only, with a line of progress and a
// report of one guest; collect puts s01/answer.txt.
type fakeLabs struct {
	got []string // "op class student by [path] [data]"
}

func (f *fakeLabs) Classes(func(string) bool) []labs.ClassInfo {
	return []labs.ClassInfo{{Name: "net101", Teachers: []string{"tina"}, Students: 1}}
}

func (f *fakeLabs) Status(req labs.Request) ([]labs.Status, error) {
	if req.Class != "net101" {
		return nil, fmt.Errorf("%w %q", labs.ErrNoClass, req.Class)
	}
	return []labs.Status{{Target: labs.Target{Student: "s01", Host: "s01", Guest: "s01"}, State: "running"}}, nil
}

func (f *fakeLabs) op(name string, req labs.Request, progress io.Writer, extra ...string) (labs.Report, error) {
	f.got = append(f.got, strings.Join(append([]string{name, req.Class, req.Student, req.By}, extra...), " "))
	if req.Class != "net101" {
		return labs.Report{}, fmt.Errorf("%w %q", labs.ErrNoClass, req.Class)
	}
	fmt.Fprintln(progress, "[1/1] s01: ok")
	return labs.Report{Op: name, Class: req.Class, By: req.By, Students: 1, Passed: 1,
		Results: []labs.Result{{Target: labs.Target{Student: "s01", Host: "s01", Guest: "s01"}, Result: labs.ResultOK, File: "s01/answer.txt"}}}, nil
}

func (f *fakeLabs) Provision(_ context.Context, req labs.Request, w io.Writer) (labs.Report, error) {
	return f.op("provision", req, w)
}
func (f *fakeLabs) Check(_ context.Context, req labs.Request, w io.Writer) (labs.Report, error) {
	return f.op("check", req, w)
}
func (f *fakeLabs) Reset(_ context.Context, req labs.Request, w io.Writer) (labs.Report, error) {
	return f.op("reset", req, w)
}
func (f *fakeLabs) Stop(_ context.Context, req labs.Request, w io.Writer) (labs.Report, error) {
	return f.op("stop", req, w)
}
func (f *fakeLabs) Remove(_ context.Context, req labs.Request, w io.Writer) (labs.Report, error) {
	return f.op("rm", req, w)
}
func (f *fakeLabs) Distribute(_ context.Context, req labs.Request, path string, data []byte, w io.Writer) (labs.Report, error) {
	return f.op("distribute", req, w, path, string(data))
}
func (f *fakeLabs) Collect(_ context.Context, req labs.Request, path string, sink labs.Sink, w io.Writer) (labs.Report, error) {
	if err := sink.Put("s01/answer.txt", []byte("answer\n")); err != nil {
		return labs.Report{}, err
	}
	return f.op("collect", req, w, path)
}

func TestLabRoutes(t *testing.T) {
	fl := &fakeLabs{}
	a := newTestAPI(t, func(o *Options) { o.Labs = fl })
	ctx := context.Background()
	var progress bytes.Buffer
	rep, err := a.client.LabOp(ctx, "check", "net101", "s01", false, &progress)
	if err != nil || rep.By != "root" || progress.String() != "[1/1] s01: ok\n" {
		t.Errorf("check: %+v, %v, progress %q", rep, err, progress.String())
	}
	_, err = a.client.LabOp(ctx, "rm", "net101", "", false, io.Discard)
	wantAPIError(t, "rm without confirm", err, http.StatusBadRequest, "confirm it with --yes")
	_, err = a.client.LabOp(ctx, "reset", "net101", "s01", false, io.Discard)
	wantAPIError(t, "reset without confirm", err, http.StatusBadRequest, "confirm it with --yes")
	if _, err := a.client.LabOp(ctx, "rm", "net101", "", true, io.Discard); err != nil {
		t.Errorf("rm confirmed: %v", err)
	}
	_, err = a.client.LabOp(ctx, "provision", "nope", "", false, io.Discard)
	wantAPIError(t, "provision of an unknown class", err, http.StatusNotFound, "no such class")
	_, err = a.client.LabStatus(ctx, "nope", "")
	wantAPIError(t, "status of an unknown class", err, http.StatusNotFound, "no such class")
	if _, err := a.client.Distribute(ctx, "net101", "", "/root/task.txt", []byte("do it"), io.Discard); err != nil {
		t.Errorf("distribute: %v", err)
	}

	dir := t.TempDir()
	sink, err := labs.NewDirSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	if rep, err := a.client.Collect(ctx, "net101", "", "/root/answer.txt", sink, io.Discard); err != nil || rep.Results[0].Result != labs.ResultOK {
		t.Errorf("collect: %+v, %v", rep, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "s01/answer.txt")); string(b) != "answer\n" {
		t.Errorf("collected file = %q", b)
	}
	rep, err = a.client.Collect(ctx, "net101", "", "/root/answer.txt", sink, io.Discard)
	if err != nil || rep.Results[0].Result != labs.ResultFailed || !strings.Contains(rep.Results[0].Error, "nothing is overwritten") || rep.Passed != 0 {
		t.Errorf("second collect into the same directory: %+v, %v", rep, err)
	}
	want := []string{"check net101 s01 root", "rm net101  root", "provision nope  root", "distribute net101  root /root/task.txt do it", "collect net101  root /root/answer.txt", "collect net101  root /root/answer.txt"}
	if strings.Join(fl.got, "|") != strings.Join(want, "|") {
		t.Errorf("operations run:\n%q\nwant\n%q", fl.got, want)
	}
}
