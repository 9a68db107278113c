package session

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"vmhost/guest"
)

// BenchmarkKeptSessionMemory measures the heap one detached 80x24 session
// holds in the daemon once its screen has been drawn on: the emulator's
// two screens, the read buffer and the bookkeeping (not the terminal's
// kernel buffers).
func BenchmarkKeptSessionMemory(b *testing.B) {
	const n = 50
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		kept := make([]*Kept, 0, n)
		var ends []chan guest.ExitStatus
		for range n {
			master, slave, err := pty.Open()
			if err != nil {
				b.Fatal(err)
			}
			p := &fakeProcess{stdin: master, stdout: master, pty: master, exit: make(chan guest.ExitStatus, 1), sigs: make(chan syscall.Signal, 1)}
			att, err := Attach(p)
			if err != nil {
				b.Fatal(err)
			}
			k, _ := Keep(att, KeepOptions{Info: Info{Cols: 80, Rows: 24}, Now: time.Now})
			slave.Write([]byte("\x1b[1;32muser@guest\x1b[0m:~$ ls -l /etc\r\n"))
			kept, ends = append(kept, k), append(ends, p.exit)
			defer master.Close()
			defer slave.Close()
		}
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n/1024, "KiB/session")
		for i, k := range kept {
			ends[i] <- guest.ExitStatus{}
			<-k.Ended()
		}
	}
}

// echoClient is a client that hands each write to the benchmark.
type echoClient chan []byte

func (c echoClient) Write(p []byte) (int, error) {
	c <- append([]byte(nil), p...)
	return len(p), nil
}

// BenchmarkEchoKept measures a keystroke's round trip through a kept
// session: the key into the terminal, the terminal's echo through the
// pump, the screen and the client's gate. BenchmarkEchoPlain is the same
// without the kept session's layer, to compare.
func BenchmarkEchoKept(b *testing.B) {
	att, slave, end := echoSession(b)
	defer end()
	out := make(echoClient, 16)
	k, _ := Keep(att, KeepOptions{Info: Info{Cols: 80, Rows: 24}, First: out, Now: time.Now})
	defer func() { slave.Close() }()
	in := k.Input()
	for b.Loop() {
		in.Write([]byte("x"))
		<-out
	}
}

func BenchmarkEchoPlain(b *testing.B) {
	att, _, end := echoSession(b)
	defer end()
	buf := make([]byte, readBuffer)
	for b.Loop() {
		att.Input().Write([]byte("x"))
		att.Output().Read(buf)
	}
}

// echoSession returns a terminal whose slave echoes (the line discipline,
// as a shell's terminal does), attached.
func echoSession(b *testing.B) (*Attached, interface{ Close() error }, func()) {
	b.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		b.Fatal(err)
	}
	p := &fakeProcess{stdin: master, stdout: master, pty: master, exit: make(chan guest.ExitStatus, 1), sigs: make(chan syscall.Signal, 1)}
	att, err := Attach(p)
	if err != nil {
		b.Fatal(err)
	}
	return att, slave, func() { p.exit <- guest.ExitStatus{}; master.Close(); slave.Close() }
}
