package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"time"
)

// netnsPair is two network namespaces, or the host and one namespace,
// joined by a veth pair with addresses in 198.51.100.0/24 (TEST-NET-2).
type netnsPair struct {
	outside    string // the namespace that serves iperf3
	inside     string // the other one; "" for the host
	addr, peer string // the outside's address and the other end's
	veth       string
}

// run runs a command and fails with its output.
func run(name string, args ...string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// newNetnsPair makes the namespaces and the veth pair; inside "" joins the
// outside namespace to the host. Equivalent to `ip netns add`, `ip link add
// type veth`, `ip addr add`, `ip link set up`: the benchmark's set-up, not a
// path of vmhost's.
func newNetnsPair(withInside bool) (*netnsPair, error) {
	tag := fmt.Sprintf("%06x", rand.IntN(1<<24))
	base := 4 * rand.IntN(64)
	p := &netnsPair{
		outside: "vmbo" + tag, veth: "vmbv" + tag,
		peer: fmt.Sprintf("198.51.100.%d", base+1), addr: fmt.Sprintf("198.51.100.%d", base+2),
	}
	if withInside {
		p.inside = "vmbi" + tag
	}
	steps := [][]string{{"netns", "add", p.outside}}
	if p.inside != "" {
		steps = append(steps, []string{"netns", "add", p.inside})
	}
	steps = append(steps,
		[]string{"link", "add", p.veth, "type", "veth", "peer", "name", "eth0", "netns", p.outside},
		[]string{"-n", p.outside, "addr", "add", p.addr + "/30", "dev", "eth0"},
		[]string{"-n", p.outside, "link", "set", "eth0", "up"},
		[]string{"-n", p.outside, "link", "set", "lo", "up"},
	)
	if p.inside != "" {
		steps = append(steps, []string{"link", "set", p.veth, "netns", p.inside})
	}
	ns := []string{}
	if p.inside != "" {
		ns = []string{"-n", p.inside}
	}
	steps = append(steps,
		append(append([]string{}, ns...), "addr", "add", p.peer+"/30", "dev", p.veth),
		append(append([]string{}, ns...), "link", "set", p.veth, "up"),
	)
	for _, s := range steps {
		if err := run("ip", s...); err != nil {
			p.remove()
			return nil, err
		}
	}
	return p, nil
}

// remove deletes the namespaces, and with them the veth pair.
func (p *netnsPair) remove() {
	exec.Command("ip", "link", "del", p.veth).Run()
	for _, ns := range []string{p.outside, p.inside} {
		if ns != "" {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	}
}

// iperfServer starts iperf3 as a server for one test in the outside
// namespace, and returns what stops it.
func (p *netnsPair) iperfServer() (func(), error) {
	cmd := exec.Command("ip", "netns", "exec", p.outside, "iperf3", "-s", "-1", "-B", p.addr)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond)
	return func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

// iperfResult is the part of iperf3 -J's report the benchmark reads.
type iperfResult struct {
	End struct {
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
	} `json:"end"`
}

// parseIperf reads iperf3 -J's received rate, in bits per second.
func parseIperf(out string) (float64, error) {
	var r iperfResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return 0, fmt.Errorf("reading iperf3's report: %w", err)
	}
	if r.End.SumReceived.BitsPerSecond == 0 {
		return 0, errors.New("iperf3 reported nothing received")
	}
	return r.End.SumReceived.BitsPerSecond, nil
}

// guestNetwork is figure 6: iperf3 from a guest through NAT to an outside
// host, against iperf3 between two plain namespaces joined by a veth pair.
func guestNetwork(c client, vm target, runs int) (row, error) {
	outside, err := newNetnsPair(false)
	if err != nil {
		return row{}, err
	}
	defer outside.remove()
	plain, err := newNetnsPair(true)
	if err != nil {
		return row{}, err
	}
	defer plain.remove()
	speeds := map[string][]float64{}
	for i := range runs {
		for _, name := range inTurn(i, "vmhost", "plain") {
			bps, err := iperfOnce(c, vm, name, outside, plain)
			if err != nil {
				return row{}, err
			}
			speeds[name] = append(speeds[name], bps)
		}
	}
	v, b := medianFloat(speeds["vmhost"]), medianFloat(speeds["plain"])
	return row{
		figure: fmt.Sprintf("6. guest network, iperf3 through NAT to an outside netns (median of %d)", runs),
		vmhost: gbps(v), baseline: gbps(b) + " (netns to netns)", ratio: ratio(v, b), goal: "0.9x",
	}, nil
}

// iperfOnce runs one 5-second iperf3 test from the guest or between the
// plain namespaces.
func iperfOnce(c client, vm target, name string, outside, plain *netnsPair) (float64, error) {
	p := outside
	if name == "plain" {
		p = plain
	}
	stop, err := p.iperfServer()
	if err != nil {
		return 0, err
	}
	defer stop()
	var out string
	if name == "plain" {
		b, err := exec.Command("ip", "netns", "exec", p.inside, "iperf3", "-c", p.addr, "-t", "5", "-J").Output()
		if err != nil {
			return 0, fmt.Errorf("iperf3 between namespaces: %w", err)
		}
		out = string(b)
	} else if out, err = c.run(vm, vm.login, "iperf3 -c "+p.addr+" -t 5 -J"); err != nil {
		return 0, err
	}
	return parseIperf(out)
}

// gbps formats bits per second in Gbit/s.
func gbps(bps float64) string {
	return fmt.Sprintf("%.2f Gbit/s", bps/1e9)
}
