package sshgate

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

const testMoshKey = "4NeCCgvZFe2RnPgrcU1PQw"

func TestIsMoshServer(t *testing.T) {
	tests := []struct {
		command string
		want    bool
	}{
		{"mosh-server 'new' '-s' '-c' '256' '-l' 'LANG=C.UTF-8'", true},
		{"mosh-server", true},
		{"  mosh-server new", true},
		{"/usr/local/bin/mosh-server new -s", true},
		{"'mosh-server' new", true},
		{"mosh-server; cat", false},
		{"echo mosh-server", false},
		{"/usr/bin/mosh-server-wrapper new", false},
		{"mosh-serverx", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isMoshServer(tt.command); got != tt.want {
			t.Errorf("isMoshServer(%q) = %v, want %v", tt.command, got, tt.want)
		}
	}
}

func TestParseMoshConnect(t *testing.T) {
	type result struct {
		port uint16
		key  string
		ok   bool
	}
	tests := []struct {
		line string
		want result
	}{
		{"MOSH CONNECT 60001 " + testMoshKey, result{60001, testMoshKey, true}},
		{"MOSH CONNECT 60001 " + testMoshKey + "\r", result{60001, testMoshKey, true}},
		{"MOSH CONNECT 1 " + testMoshKey, result{1, testMoshKey, true}},
		{"MOSH CONNECT 65535 " + testMoshKey, result{65535, testMoshKey, true}},
		{"MOSH CONNECT 65536 " + testMoshKey, result{}},
		{"MOSH CONNECT 0 " + testMoshKey, result{}},
		{"MOSH CONNECT 99999999999999999999 " + testMoshKey, result{}},
		{"MOSH CONNECT -1 " + testMoshKey, result{}},
		{"MOSH CONNECT +80 " + testMoshKey, result{}},
		{"MOSH CONNECT 0x50 " + testMoshKey, result{}},
		{"MOSH CONNECT  60001 " + testMoshKey, result{}},
		{"MOSH CONNECT 60001 " + testMoshKey + " more", result{}},
		{"MOSH CONNECT 60001 " + testMoshKey + "=", result{}},
		{"MOSH CONNECT 60001 " + testMoshKey[:21], result{}},
		{"MOSH CONNECT 60001 " + testMoshKey[:21] + "!", result{}},
		{"MOSH CONNECT 60001", result{}},
		{" MOSH CONNECT 60001 " + testMoshKey, result{}},
		{"mosh connect 60001 " + testMoshKey, result{}},
		{"MOSH CONNECT 60001 " + testMoshKey + "\r\r", result{60001, testMoshKey, true}},
		{"MOSH CONNECT 60001 " + testMoshKey + " \t", result{60001, testMoshKey, true}},
		{"MOSH CONNECT 60001 " + testMoshKey + "\v", result{}},
		{"MOSH CONNECT 60001 " + testMoshKey + "\x00", result{}},
		{"", result{}},
	}
	for _, tt := range tests {
		port, key, ok := parseMoshConnect([]byte(tt.line))
		if got := (result{port, key, ok}); got != tt.want {
			t.Errorf("parseMoshConnect(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// moshOutput is what mosh-server prints on its stdout.
const moshOutput = "\r\nMOSH CONNECT 60001 " + testMoshKey + "\r\n"

func TestMoshFilter(t *testing.T) {
	long := strings.Repeat("x", 10000)
	tests := []struct {
		name, in, want string
		asked          []uint16 // the guest ports publish is asked for
		refuse         bool
	}{
		{"mosh-server", moshOutput, "\r\nMOSH CONNECT 61234 " + testMoshKey + "\r\n", []uint16{60001}, false},
		{"through a terminal", "\r\r\nMOSH CONNECT 60001 " + testMoshKey + "\r\r\n", "\r\r\nMOSH CONNECT 61234 " + testMoshKey + "\r\r\n", []uint16{60001}, false},
		{"no carriage return", "MOSH CONNECT 60001 " + testMoshKey + "\nbye\n", "MOSH CONNECT 61234 " + testMoshKey + "\nbye\n", []uint16{60001}, false},
		{"refused", moshOutput, moshOutput, []uint16{60001}, true},
		{"only the first line", moshOutput + "MOSH CONNECT 60002 " + testMoshKey + "\r\n",
			"\r\nMOSH CONNECT 61234 " + testMoshKey + "\r\nMOSH CONNECT 60002 " + testMoshKey + "\r\n", []uint16{60001}, false},
		{"a bad line, then the good one", "MOSH CONNECT 70000 " + testMoshKey + "\n" + moshOutput,
			"MOSH CONNECT 70000 " + testMoshKey + "\n\r\nMOSH CONNECT 61234 " + testMoshKey + "\r\n", []uint16{60001}, false},
		{"a line without its end", "MOSH CONNECT 60001 " + testMoshKey, "MOSH CONNECT 60001 " + testMoshKey, nil, false},
		{"a huge line first", long + "\n" + moshOutput, long + "\n" + moshOutput, nil, false},
		{"a huge line, then a short one", long[:300] + "\n" + moshOutput,
			long[:300] + "\n\r\nMOSH CONNECT 61234 " + testMoshKey + "\r\n", []uint16{60001}, false},
		{"too many lines first", strings.Repeat("\n", moshScanLines) + moshOutput, strings.Repeat("\n", moshScanLines) + moshOutput, nil, false},
		{"too many bytes first", strings.Repeat(long[:200]+"\n", 21) + moshOutput, strings.Repeat(long[:200]+"\n", 21) + moshOutput, nil, false},
		{"the line hidden in a long one", long[:400] + "MOSH CONNECT 60001 " + testMoshKey + "\n", long[:400] + "MOSH CONNECT 60001 " + testMoshKey + "\n", nil, false},
		{"nothing", "", "", nil, false},
		{"binary", "\x00\xff\n\x1b[2J", "\x00\xff\n\x1b[2J", nil, false},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":        func(r io.Reader) io.Reader { return r },
		"byte by byte": iotest.OneByteReader,
		"half":         iotest.HalfReader,
		"data+EOF":     iotest.DataErrReader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			var asked []uint16
			publish := func(p uint16) (uint16, bool) {
				asked = append(asked, p)
				return 61234, !tt.refuse
			}
			got, err := io.ReadAll(newMoshFilter(wrap(strings.NewReader(tt.in)), publish))
			if err != nil {
				t.Errorf("%s, %s: reading: %v", tt.name, rname, err)
			}
			if string(got) != tt.want {
				t.Errorf("%s, %s: the client got %q, want %q", tt.name, rname, got, tt.want)
			}
			if diff := cmp.Diff(tt.asked, asked); diff != "" {
				t.Errorf("%s, %s: ports asked for (-want +got):\n%s", tt.name, rname, diff)
			}
		}
	}
}

// TestMoshFilterPassesErrors checks that the filter ends with its reader's
// error after what it holds back, and passes a later one through.
func TestMoshFilterPassesErrors(t *testing.T) {
	errBoom := io.ErrClosedPipe
	r := io.MultiReader(strings.NewReader("MOSH CONN"), iotest.ErrReader(errBoom))
	f := newMoshFilter(r, func(uint16) (uint16, bool) { return 1, true })
	got, err := io.ReadAll(f)
	if string(got) != "MOSH CONN" || err != errBoom {
		t.Errorf("ReadAll = %q, %v; want %q, %v", got, err, "MOSH CONN", errBoom)
	}
	var buf bytes.Buffer
	buf.WriteString(moshOutput + "after\n")
	f = newMoshFilter(&buf, func(uint16) (uint16, bool) { return 1, true })
	p := make([]byte, 3)
	var out []byte
	for {
		n, err := f.Read(p)
		out = append(out, p[:n]...)
		if err != nil {
			break
		}
	}
	if want := "\r\nMOSH CONNECT 1 " + testMoshKey + "\r\nafter\n"; string(out) != want {
		t.Errorf("reading 3 bytes at a time: %q, want %q", out, want)
	}
}
