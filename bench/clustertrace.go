package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	kclient "sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
)

// placeTrace is figure 10's -trace-placement: when each Guest of placeMany
// passed each step of its placement, as watches of Guests and pods see it,
// and the CPU time each process of the cluster used meanwhile.
type placeTrace struct {
	k     *benchCluster
	start time.Time
	pids  map[string]int           // the cluster's processes, by name
	cpu   map[string]time.Duration // their CPU time at start

	mu   sync.Mutex
	seen map[string]map[string]time.Duration // Guest -> step -> since start
}

// placeSteps are the steps of a Guest's placement, in order: made by the
// bench, its pod made (by the controller), bound to the node (by the
// scheduler), Running (by the node's keeper), and the Guest's phases
// (Scheduled by the controller, Starting and Running by the agent).
var placeSteps = []string{"created", "podMade", "podBound", "podRunning", "Scheduled", "Starting", "Running"}

// tracePlacement starts watching the Guests and pods of the namespace
// vmhost, until ctx ends.
func (k *benchCluster) tracePlacement(ctx context.Context, c kclient.WithWatch) (*placeTrace, error) {
	pids := k.cp.Pids()
	for role, cmd := range k.procs {
		pids[role] = cmd.Process.Pid
	}
	pids["vmhostd"] = k.node.cmd.Process.Pid
	t := &placeTrace{k: k, start: time.Now(), pids: pids, cpu: cpuOfPids(pids), seen: map[string]map[string]time.Duration{}}
	gw, err := c.Watch(ctx, &v1alpha1.GuestList{}, kclient.InNamespace("vmhost"))
	if err != nil {
		return nil, fmt.Errorf("watching the Guests: %w", err)
	}
	pw, err := c.Watch(ctx, &corev1.PodList{}, kclient.InNamespace("vmhost"))
	if err != nil {
		gw.Stop()
		return nil, fmt.Errorf("watching the pods: %w", err)
	}
	go t.read(ctx, gw, t.guest)
	go t.read(ctx, pw, t.pod)
	return t, nil
}

// read gives each object w sends to f until ctx ends.
func (t *placeTrace) read(ctx context.Context, w watch.Interface, f func(any)) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			f(ev.Object)
		}
	}
}

// guest notes the phase of a Guest.
func (t *placeTrace) guest(obj any) {
	if g, ok := obj.(*v1alpha1.Guest); ok && g.Status.Phase != "" {
		t.mark(g.Name, string(g.Status.Phase))
	}
}

// pod notes the steps a Guest's pod passed.
func (t *placeTrace) pod(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	g := p.Labels[controller.LabelGuest]
	t.mark(g, "podMade")
	if p.Spec.NodeName != "" {
		t.mark(g, "podBound")
	}
	if p.Status.Phase == corev1.PodRunning {
		t.mark(g, "podRunning")
	}
}

// mark notes the first time Guest g passed step; a nil t notes nothing.
func (t *placeTrace) mark(g, step string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[g] == nil {
		t.seen[g] = map[string]time.Duration{}
	}
	if _, ok := t.seen[g][step]; !ok {
		t.seen[g][step] = time.Since(t.start)
	}
}

// report writes, for each step, the median and largest time a Guest took
// from the step before and when the first and last Guest got there; the
// phases of the starts in the node's vmhostd; and the CPU time each process
// of the cluster used since the trace began.
func (t *placeTrace) report(w io.Writer) {
	cpu := cpuOfPids(t.pids)
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(w, "placement trace, %d Guests (times since the first was made):\n", len(t.seen))
	prev := placeSteps[0]
	for _, step := range placeSteps[1:] {
		var gaps, at []time.Duration
		for _, s := range t.seen {
			if d, ok := s[step]; ok {
				at = append(at, d)
				if p, ok := s[prev]; ok {
					gaps = append(gaps, d-p)
				}
			}
		}
		if len(at) == 0 || len(gaps) == 0 {
			fmt.Fprintf(w, "  %-10s no Guest seen there\n", step)
			continue
		}
		slices.Sort(gaps)
		slices.Sort(at)
		fmt.Fprintf(w, "  %-10s %3d Guests, from %-10s median %8v max %8v; first at %8v, last at %8v\n", step, len(at), prev,
			round(gaps[len(gaps)/2]), round(gaps[len(gaps)-1]), round(at[0]), round(at[len(at)-1]))
		prev = step
	}
	log, _ := os.ReadFile(filepath.Join(t.k.node.dir, "vmhostd.log"))
	startPhases(w, string(log))
	var names []string
	for n := range cpu {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f s", n, (cpu[n]-t.cpu[n]).Seconds()))
	}
	fmt.Fprintf(w, "  CPU used: %s\n", strings.Join(parts, ", "))
}

// startPhaseLine is a start phase in vmhostd's debug log.
var startPhaseLine = regexp.MustCompile(`msg="guest start phase" guest=\S+ phase=(\w+) took=(\S+)`)

// startPhases writes the median and largest time of each phase of the
// guests' starts that log shows.
func startPhases(w io.Writer, log string) {
	took := map[string][]time.Duration{}
	var order []string
	for _, m := range startPhaseLine.FindAllStringSubmatch(log, -1) {
		d, err := time.ParseDuration(m[2])
		if err != nil {
			continue
		}
		if _, ok := took[m[1]]; !ok {
			order = append(order, m[1])
		}
		took[m[1]] = append(took[m[1]], d)
	}
	var parts []string
	for _, p := range order {
		ds := took[p]
		slices.Sort(ds)
		parts = append(parts, fmt.Sprintf("%s %v (max %v)", p, round(ds[len(ds)/2]), round(ds[len(ds)-1])))
	}
	fmt.Fprintf(w, "  vmhostd's starts, median by phase: %s\n", strings.Join(parts, ", "))
}

// round is d to the millisecond.
func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// cpuOfPids is the CPU time each of pids used so far, its own (user and
// system, every thread); a process that is gone counts 0.
func cpuOfPids(pids map[string]int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, pid := range pids {
		if c, err := readCPU(pid); err == nil {
			out[name] = c.self
		}
	}
	return out
}
