package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// sinkPort is where busybox nc discards what it gets, in the guest and, for
// the baseline, on the host: the same sink on both sides.
const sinkPort = 9309

// portForward is figure 5: size bytes through `ssh -L` to a sink on the
// server side's loopback, runs interleaved, as median throughput.
func portForward(c client, vm, base target, size int64, runs int) (row, error) {
	speeds, cpus := map[string][]float64{}, map[string][]float64{}
	for i := range runs {
		for _, t := range inTurn(i, vm, base) {
			bps, cpu, err := forwardOnce(c, t, size)
			if err != nil {
				return row{}, fmt.Errorf("ssh -L to %s: %w", t.name, err)
			}
			speeds[t.name] = append(speeds[t.name], bps)
			cpus[t.name] = append(cpus[t.name], cpu)
		}
	}
	v, b := medianFloat(speeds[vm.name]), medianFloat(speeds[base.name])
	return row{
		figure: fmt.Sprintf("5. `ssh -L` throughput, %s (median of %d)", mib(size), runs),
		vmhost: withCPU(v, cpus[vm.name]), baseline: withCPU(b, cpus[base.name]) + " (sshd)",
		ratio: ratio(v, b), goal: "1x of sshd or more",
	}, nil
}

// withCPU formats a throughput with the server's median CPU seconds per GiB.
func withCPU(bps float64, cpus []float64) string {
	return fmt.Sprintf("%s, %.1f CPU-s/GiB", mbps(bps), medianFloat(cpus))
}

// forwardOnce starts a sink, a forward to it and pushes size bytes through.
// It returns the throughput and the server's CPU seconds per GiB: the
// server, not the sink, which is the same program on both sides.
func forwardOnce(c client, t target, size int64) (bps, cpu float64, err error) {
	stopSink, err := startSink(c, t)
	if err != nil {
		return 0, 0, err
	}
	defer stopSink()
	local, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	fwd := exec.Command("ssh", c.args(t, t.login, "-N", "-o", "ExitOnForwardFailure=yes",
		"-L", fmt.Sprintf("127.0.0.1:%d:127.0.0.1:%d", local, sinkPort))...)
	fwd.Env = withoutAgent()
	if err := fwd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { fwd.Process.Kill(); fwd.Wait() }()
	if err := waitListening(local, 20*time.Second); err != nil {
		return 0, 0, err
	}
	return moveMeasured(t.cpu.during, size, func() error { return push(fmt.Sprintf("127.0.0.1:%d", local), size) })
}

// startSink starts busybox nc listening on sinkPort once, in the guest or on
// the host, and returns what stops it.
func startSink(c client, t target) (func(), error) {
	if t.name == "sshd" {
		nc := exec.Command("busybox", "nc", "-l", "-p", strconv.Itoa(sinkPort))
		if err := nc.Start(); err != nil {
			return nil, err
		}
		return func() { nc.Process.Kill(); nc.Wait() }, nil
	}
	_, err := c.run(t, t.login, fmt.Sprintf("nohup nc -l -p %d >/dev/null 2>&1 </dev/null &", sinkPort))
	return func() {}, err
}

// waitListening waits until something listens on 127.0.0.1:port. It reads
// the kernel's socket table rather than connecting (the sink takes one
// connection only) or binding (a probe that holds the port for a moment makes
// ssh's own bind fail).
func waitListening(port int, timeout time.Duration) error {
	want := localAddr(port)
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		table, err := os.ReadFile("/proc/net/tcp")
		if err != nil {
			return err
		}
		if listening(string(table), want) {
			return nil
		}
	}
	return fmt.Errorf("nothing listening on 127.0.0.1:%d after %v", port, timeout)
}

// localAddr is 127.0.0.1:port as /proc/net/tcp writes it, on a
// little-endian machine.
func localAddr(port int) string {
	return fmt.Sprintf("0100007F:%04X", port)
}

// listening reports whether /proc/net/tcp's table has a socket in the LISTEN
// state (0A) on local, an address as the table writes it.
func listening(table, local string) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == local && f[3] == "0A" {
			return true
		}
	}
	return false
}

// push writes size zero bytes to addr, closes its side and waits for the
// other side to close.
func push(addr string, size int64) error {
	time.Sleep(100 * time.Millisecond) // the sink listens
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := io.CopyN(conn, zeros{}, size); err != nil {
		return err
	}
	conn.(*net.TCPConn).CloseWrite()
	_, err = io.Copy(io.Discard, conn)
	return err
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
