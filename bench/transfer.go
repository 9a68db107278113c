package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// scpArgs are scp's and sftp's arguments before the paths: the client's
// options, with -P for the port.
func (c client) scpArgs(t target) []string {
	return []string{
		"-F", "none", "-q",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
		"-o", "KexAlgorithms=curve25519-sha256", "-o", "HostKeyAlgorithms=ssh-ed25519",
		"-o", "Ciphers=aes128-gcm@openssh.com",
		"-i", c.key, "-P", strconv.Itoa(t.port),
	}
}

// tool runs an OpenSSH file tool (scp or sftp) and fails with its output.
func tool(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = withoutAgent()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %w: %s", name, args, err, out)
	}
	return nil
}

// makePayload writes size random bytes to dir/payload.
func makePayload(dir string, size int64) (string, error) {
	path := filepath.Join(dir, "payload")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		return "", err
	}
	return path, f.Sync()
}

// transfer is one way of moving the payload: its name and how to run it
// against a target, given the remote path.
type transfer struct {
	name string
	run  func(c client, t target, local, remote string) error
}

// transfers are figure 4's: scp and sftp, up and down.
func transfers(dir string) []transfer {
	down := filepath.Join(dir, "downloaded")
	batch := func(cmd string) (string, error) {
		p := filepath.Join(dir, "sftp-batch")
		return p, os.WriteFile(p, []byte(cmd+"\n"), 0o600)
	}
	return []transfer{
		{"scp upload", func(c client, t target, local, remote string) error {
			return tool("scp", append(c.scpArgs(t), local, t.login+"@127.0.0.1:"+remote)...)
		}},
		{"scp download", func(c client, t target, local, remote string) error {
			return tool("scp", append(c.scpArgs(t), t.login+"@127.0.0.1:"+remote, down)...)
		}},
		{"sftp upload", func(c client, t target, local, remote string) error {
			b, err := batch(fmt.Sprintf("put %s %s", local, remote))
			if err != nil {
				return err
			}
			return tool("sftp", append(c.scpArgs(t), "-b", b, t.login+"@127.0.0.1")...)
		}},
		{"sftp download", func(c client, t target, local, remote string) error {
			b, err := batch(fmt.Sprintf("get %s %s", remote, down))
			if err != nil {
				return err
			}
			return tool("sftp", append(c.scpArgs(t), "-b", b, t.login+"@127.0.0.1")...)
		}},
	}
}

// fileTransfer is figure 4: each transfer of a payload of size bytes against
// each target, runs interleaved, as median throughput. remote gives each
// target's path for the payload: in the guest's own files, or next to them
// on the same file system for sshd.
func fileTransfer(c client, vm, base target, remote map[string]string, dir string, size int64, runs int) ([]row, error) {
	local, err := makePayload(dir, size)
	if err != nil {
		return nil, err
	}
	defer os.Remove(local)
	var rows []row
	for _, tr := range transfers(dir) {
		speeds, cpus := map[string][]float64{}, map[string][]float64{}
		for i := range runs {
			for _, t := range inTurn(i, vm, base) {
				bps, cpu, err := transferOnce(c, t, tr, local, remote[t.name], size)
				if err != nil {
					return rows, err
				}
				speeds[t.name] = append(speeds[t.name], bps)
				cpus[t.name] = append(cpus[t.name], cpu)
			}
		}
		v, b := medianFloat(speeds[vm.name]), medianFloat(speeds[base.name])
		rows = append(rows, row{
			figure: fmt.Sprintf("4. %s, %s (median of %d)", tr.name, mib(size), runs),
			vmhost: withCPU(v, cpus[vm.name]), baseline: withCPU(b, cpus[base.name]) + " (sshd)",
			ratio: ratio(v, b), goal: "1x of sshd or more",
		})
	}
	return rows, nil
}

// transferOnce runs one transfer and returns its throughput and the server's
// CPU seconds per GiB, the SFTP server's included. The dirty pages of the
// run before are written out first, so neither side pays for the other's.
func transferOnce(c client, t target, tr transfer, local, remote string, size int64) (bps, cpu float64, err error) {
	unix.Sync()
	return moveMeasured(t.cpu.after, size, func() error { return tr.run(c, t, local, remote) })
}

// mbps formats bytes per second in MB/s.
func mbps(bps float64) string {
	return fmt.Sprintf("%.0f MB/s", bps/1e6)
}
