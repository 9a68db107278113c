package labs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/protocol"
)

func TestCheckGuestPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/root/task.txt", true},
		{"/etc/motd", true},
		{"root/task.txt", false},
		{"/", false},
		{"/root/../etc/shadow", false},
		{"/root//x", false},
		{"/root/x/", false},
		{"/a\x00b", false},
		{"/" + strings.Repeat("a", maxGuestPath), false},
	}
	for _, tt := range tests {
		if err := checkGuestPath(tt.path); (err == nil) != tt.ok {
			t.Errorf("checkGuestPath(%q) = %v, want ok %v", tt.path, err, tt.ok)
		}
	}
}

// fileGuests are s01's pc and router with /root/answer.txt, and s02's pc
// without it.
func fileGuests() *fakeGuests {
	guests := newFakeGuests("s01+pc", "s01+router", "s02+pc")
	files := map[string]string{"s01+pc": "pc answer\n", "s01+router": "router answer\n"}
	for id := range guests.guests {
		guests.do[id] = func(req protocol.SpawnRequest, _ []byte) ([]byte, int, bool) {
			if !scriptIs(req, getScript) || argOf(req) != "/root/answer.txt" {
				return []byte("unexpected request"), 99, false
			}
			if f, ok := files[id]; ok {
				return []byte(f), 0, false
			}
			return nil, getMissing, false
		}
	}
	return guests
}

func TestCollect(t *testing.T) {
	cfg := testConfig(t, "", "pc", "router")
	svc, _ := newTestService(t, cfg, fileGuests())
	dir := filepath.Join(t.TempDir(), "answers")
	sink, err := NewDirSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	rep, err := svc.Collect(context.Background(), Request{Class: "net101"}, "/root/answer.txt", sink, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Guest+" "+r.Result+" "+r.File)
	}
	want := []string{"s01+pc ok s01/answer.txt", "s01+router ok s01/router/answer.txt", "s02+pc missing ", "s02+router missing "}
	if !cmp.Equal(got, want) {
		t.Errorf("collect diff (-got +want):\n%s", cmp.Diff(got, want))
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "s01/router/answer.txt")); string(b) != "router answer\n" {
		t.Errorf("s01/router/answer.txt = %q", b)
	}
	if ReportCode(rep) != 0 {
		t.Errorf("a collect with missing files exits %d, want 0", ReportCode(rep))
	}

	// A second collect into the same directory overwrites nothing.
	os.WriteFile(filepath.Join(dir, "s01/answer.txt"), []byte("teacher's notes"), 0o600)
	rep, err = svc.Collect(context.Background(), Request{Class: "net101", Student: "s01"}, "/root/answer.txt", sink, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Result != ResultFailed || !strings.Contains(r.Error, "nothing is overwritten") {
			t.Errorf("second collect of %s: %+v, want refused", r.Guest, r)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "s01/answer.txt")); string(b) != "teacher's notes" {
		t.Errorf("s01/answer.txt overwritten: %q", b)
	}
}

func TestDirSink(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "target")
	os.WriteFile(outside, []byte("keep"), 0o600)
	os.Mkdir(filepath.Join(dir, "s03"), 0o700)
	os.Symlink(outside, filepath.Join(dir, "s03", "answer.txt"))
	os.Symlink(filepath.Dir(outside), filepath.Join(dir, "s04"))
	sink, err := NewDirSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	tests := []struct {
		name string
		ok   bool
	}{
		{"s01/answer.txt", true},
		{"s01/router/answer.txt", true},
		{"s01/answer.txt", false},   // there already
		{"s03/answer.txt", false},   // a symlink there
		{"s04/target", false},       // through a symlink out
		{"s04/x", false},            // likewise
		{"../escape", false},        // not a name collect makes
		{"s01/../../escape", false}, // likewise
		{"answer.txt", false},       // likewise
		{"/abs/answer.txt", false},  // likewise
		{"a/b/c/d", false},          // likewise
	}
	for _, tt := range tests {
		if err := sink.Put(tt.name, []byte("new")); (err == nil) != tt.ok {
			t.Errorf("Put(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Errorf("a file outside the directory was written: %q", b)
	}
	for p, want := range map[string]os.FileMode{"s01": 0o700, "s01/answer.txt": 0o600} {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", p, fi, err, want)
		}
	}
}

func TestCollectBounds(t *testing.T) {
	tests := []struct {
		name     string
		do       behaviour
		result   string
		errorHas string
	}{
		{"too big", func(protocol.SpawnRequest, []byte) ([]byte, int, bool) {
			return bytes.Repeat([]byte("z"), MaxCollect+10), 0, false
		}, ResultFailed, "larger than"},
		{"not regular", func(protocol.SpawnRequest, []byte) ([]byte, int, bool) { return nil, getNotRegular, false }, ResultFailed, "not a regular file"},
		{"cat fails", func(protocol.SpawnRequest, []byte) ([]byte, int, bool) { return []byte("\x1b]0;owned\x07"), 1, false }, ResultFailed, "exited with 1"},
	}
	for _, tt := range tests {
		guests := newFakeGuests("s01")
		guests.do["s01"] = tt.do
		svc, _ := newTestService(t, testConfig(t, ""), guests)
		var tarOut bytes.Buffer
		sink := NewTarSink(&tarOut, svc.opts.Now())
		rep, err := svc.Collect(context.Background(), Request{Class: "net101", Student: "s01"}, "/root/a", sink, io.Discard)
		sink.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Results[0]
		if r.Result != tt.result || !strings.Contains(r.Error, tt.errorHas) || strings.ContainsRune(r.Error, 0x1b) {
			t.Errorf("%s: %+v, want %s with %q", tt.name, r, tt.result, tt.errorHas)
		}
		if _, err := tar.NewReader(&tarOut).Next(); !errors.Is(err, io.EOF) {
			t.Errorf("%s: the tar stream has an entry (%v), want none", tt.name, err)
		}
	}
}

func TestDistribute(t *testing.T) {
	guests := newFakeGuests("s01")
	got := map[string]string{}
	var mu sync.Mutex
	for _, id := range []string{"s01", "s02"} {
		guests.do[id] = func(req protocol.SpawnRequest, stdin []byte) ([]byte, int, bool) {
			if scriptIs(req, putScript) {
				mu.Lock()
				got[id+":"+argOf(req)] = string(stdin)
				mu.Unlock()
			}
			return nil, 0, false
		}
	}
	svc, _ := newTestService(t, testConfig(t, ""), guests)
	rep, err := svc.Distribute(context.Background(), Request{Class: "net101"}, "/root/task.txt", []byte("do it\n"), io.Discard)
	if err != nil || rep.Summary() != "distribute net101: 2/2 ok" {
		t.Fatalf("distribute: %v, %s", err, rep.Summary())
	}
	want := map[string]string{"s01:/root/task.txt": "do it\n", "s02:/root/task.txt": "do it\n"}
	if !cmp.Equal(got, want) {
		t.Errorf("files written diff:\n%s", cmp.Diff(got, want))
	}
	if _, err := svc.Distribute(context.Background(), Request{Class: "net101"}, "/x", make([]byte, MaxDistribute+1), io.Discard); err == nil {
		t.Error("a file past MaxDistribute was handed out")
	}
	if _, err := svc.Distribute(context.Background(), Request{Class: "net101"}, "x", nil, io.Discard); err == nil {
		t.Error("a relative path was taken")
	}
}

func TestTarSink(t *testing.T) {
	var b bytes.Buffer
	sink := NewTarSink(&b, svcTime)
	sink.Put("s01/answer.txt", []byte("one"))
	sink.Put("s02/router/answer.txt", []byte("two!"))
	if err := sink.Put("../x", nil); err == nil {
		t.Error("tar sink took ../x")
	}
	sink.Close()
	tr := tar.NewReader(&b)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	if want := []string{"s01/answer.txt", "s02/router/answer.txt"}; !cmp.Equal(names, want) {
		t.Errorf("tar entries %v, want %v", names, want)
	}
}
