package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"vmhost/guest"
)

// daemon is the vmhostd under measure, with a config of its own.
type daemon struct {
	bin, dir        string
	dataDir, runDir string
	config          string
	port            int
	metricsPort     int // of /metrics, on loopback
	bridge, subnet  string
	cmd             *exec.Cmd
	exited          chan struct{}
	// args are more arguments of vmhostd serve, such as --log-level.
	args []string
}

// benchUser is the one user of the benchmark's vmhostd; its guests are
// bench (warm logins) and bench+gNNNN (creation and density).
const benchUser = "bench"

// newDaemon writes the config of a daemon; start starts it. images and users
// are more entries of those sections, indented.
func newDaemon(bin, dir, pubKey, images, users string) (*daemon, error) {
	d := &daemon{bin: bin, dir: dir, dataDir: filepath.Join(dir, "data")}
	var err error
	if d.runDir, err = os.MkdirTemp("/tmp", "vmb"); err != nil { // short: socket paths
		return nil, err
	}
	if d.port, err = freePort(); err != nil {
		return nil, err
	}
	if d.metricsPort, err = freePort(); err != nil {
		return nil, err
	}
	d.bridge = fmt.Sprintf("vmb%06x", rand.IntN(1<<24))
	d.subnet = fmt.Sprintf("10.%d.0.0/16", 240+rand.IntN(10))
	d.config = filepath.Join(dir, "vmhostd.yaml")
	if err := os.WriteFile(d.config, []byte(d.yaml(pubKey, images, users)), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

// yaml is the daemon's config: room for the density figure's guests, and
// connection caps raised as the baseline sshd's are.
func (d *daemon) yaml(pubKey, images, users string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:%d"
data_dir: %q
run_dir: %q
network: {bridge: %s, subnet: %s}
images:
  busybox: {source: busybox}
%sdefaults: {image: busybox, max_guests: 1100}
ssh: {max_startups: 1000, max_sessions: 100, max_detached: 100}
metrics: {listen: "127.0.0.1:%d"}
users:
  %s:
    keys: [%q]
%s`, d.port, d.dataDir, d.runDir, d.bridge, d.subnet, images, d.metricsPort, benchUser, strings.TrimSpace(pubKey), users)
}

// start starts the daemon and waits until it accepts connections.
func (d *daemon) start() error {
	logf, err := os.OpenFile(filepath.Join(d.dir, "vmhostd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	d.cmd = exec.Command(d.bin, append([]string{"serve", "--config", d.config}, d.args...)...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("starting vmhostd: %w", err)
	}
	d.exited = make(chan struct{})
	go func() { d.cmd.Wait(); close(d.exited) }()
	addr := fmt.Sprintf("127.0.0.1:%d", d.port)
	for deadline := time.Now().Add(30 * time.Second); waitTCP(addr, 100*time.Millisecond) != nil; {
		select {
		case <-d.exited:
			d.cmd = nil
			log, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("vmhostd exited at start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vmhostd not listening on %s after 30s (see %s)", addr, logf.Name())
		}
	}
	return nil
}

// stop sends SIGTERM and waits; guests keep running.
func (d *daemon) stop() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
	}
	d.cmd = nil
}

// guests reads the state of every guest of the daemon.
func (d *daemon) guests() ([]guest.State, error) {
	paths, err := filepath.Glob(filepath.Join(d.dataDir, "guests", "*", "guest.json"))
	if err != nil {
		return nil, err
	}
	var states []guest.State
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var st guest.State
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		states = append(states, st)
	}
	return states, nil
}

// cleanup stops the daemon and removes everything it made: its guests (the
// inits it started, found by pid and start time), their cgroups, the bridge
// and chains, and the directories.
func (d *daemon) cleanup() error {
	d.stop()
	states, err := d.guests()
	err = errors.Join(err, killGuests(states))
	err = errors.Join(err, stopViewServer(d.runDir))
	removeCgroupParent(d.bridge)
	if out, terr := exec.Command(d.bin, "network", "teardown", "--config", d.config).CombinedOutput(); terr != nil {
		err = errors.Join(err, fmt.Errorf("vmhostd network teardown: %v: %s", terr, out))
	}
	err = errors.Join(err, os.RemoveAll(d.runDir), os.RemoveAll(d.dataDir))
	return err
}
