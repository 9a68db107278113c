package labs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"vmhost/protocol"
)

// SpawnFunc starts a process in one guest.
type SpawnFunc func(ctx context.Context, req SpawnRequest) (Process, error)

// SpawnRequest describes a process to start in a guest.
type SpawnRequest = protocol.SpawnRequest

// job is a process to run in a guest: a fixed shell command with its
// arguments, what it reads and what of its output is kept.
type job struct {
	script string   // run as /bin/sh -c script vmhost-lab args...
	args   []string // $1...
	env    []string // more variables
	stdin  []byte
	limit  int // bytes of output kept; more is cut
	// timeout bounds the whole run, the guest's start included.
	timeout time.Duration
}

// outcome is how a job ended.
type outcome struct {
	code int
	out  []byte
	// cut says the output was longer than the job's limit: what is past
	// it was dropped and the reading end closed.
	cut bool
	err error // it could not run, or did not end in time
}

// ErrTimeout is an outcome's error when the job did not end in time.
var ErrTimeout = errors.New("did not end in time")

// drainGrace is how long the output of a process that exited is still
// read: a background child may hold it open.
const drainGrace = 2 * time.Second

// runJob runs j through spawn and returns how it ended, within j.timeout
// whatever the guest does: the process is started and read in a goroutine
// the caller does not wait for past the deadline (closing the process's
// files ends it).
func runJob(ctx context.Context, spawn SpawnFunc, j job) outcome {
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	done := make(chan outcome, 1)
	procs := make(chan Process, 1) // the process, once started; closed then
	go func() {
		p, err := spawn(ctx, j.request())
		if err != nil {
			close(procs)
			done <- outcome{code: -1, err: err}
			return
		}
		procs <- p
		close(procs)
		done <- readProcess(p, j)
	}()
	select {
	case o := <-done:
		endProcess(procs, false)
		return o
	case <-ctx.Done():
		go endProcess(procs, true) // a spawn under way ends it when it returns
		return outcome{code: -1, err: fmt.Errorf("%w (%v)", ErrTimeout, j.timeout)}
	}
}

// endProcess closes the process procs gives, if any, killing it first when
// kill is set; it waits for the spawn to return.
func endProcess(procs chan Process, kill bool) {
	p, ok := <-procs
	if !ok {
		return
	}
	if kill {
		p.Signal(syscall.SIGKILL)
	}
	p.Close()
}

// request is the spawn request of j.
func (j job) request() protocol.SpawnRequest {
	env := []string{"PATH=" + protocol.DefaultPath, "HOME=/root", "LANG=C.UTF-8"}
	return protocol.SpawnRequest{
		Argv: append([]string{"/bin/sh", "-c", j.script, "vmhost-lab"}, j.args...),
		Env:  append(env, j.env...),
		Dir:  "/",
	}
}

// readProcess feeds p its input, reads its output up to j.limit and waits
// for it.
func readProcess(p Process, j job) outcome {
	go func() {
		p.Stdin().Write(j.stdin)
		p.Stdin().Close()
	}()
	if e := p.Stderr(); e != nil {
		go io.Copy(io.Discard, io.LimitReader(e, int64(j.limit)))
	}
	outc := make(chan []byte, 1)
	go func() { outc <- readBounded(p.Stdout(), j.limit) }()
	st, err := p.Wait()
	var out []byte
	select {
	case out = <-outc:
	case <-time.After(drainGrace):
		p.Close()
		out = <-outc
	}
	o := outcome{code: st.Code, out: out, err: err}
	if len(out) > j.limit {
		o.out, o.cut = out[:j.limit], true
	}
	if st.Signal != 0 {
		o.code = 128 + int(st.Signal)
	}
	return o
}

// readBounded reads r up to limit+1 bytes; past limit it closes r (when
// it can) so the writer gets EPIPE rather than the daemon reading on.
func readBounded(r io.Reader, limit int) []byte {
	out, _ := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if len(out) > limit {
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
	}
	return out
}
