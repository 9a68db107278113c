package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// options are the command line's.
type options struct {
	vmhostd     string
	vmhostKube  string
	out         string
	runs        int
	figures     []int
	density     []int
	size        int64
	concurrency int
	keepMemory  bool
	class       int
	// tracePlacement prints where figure 10's placement spends its time.
	tracePlacement bool
}

func main() {
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: run it as root (make bench does): vmhostd makes namespaces, a bridge and iptables rules")
		os.Exit(1)
	}
	os.Exit(runBench(o))
}

// parseOptions reads the flags.
func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := options{}
	fs.StringVar(&o.vmhostd, "vmhostd", "bin/vmhostd", "the vmhostd `binary` to measure")
	fs.StringVar(&o.vmhostKube, "vmhost-kube", "bin/vmhost-kube", "the vmhost-kube `binary` of figure 10")
	fs.StringVar(&o.out, "out", "", "write the results table, with the machine and date, to this Markdown `file`")
	fs.IntVar(&o.runs, "runs", 15, "runs of each login figure; transfers run a third as many")
	figs := fs.String("figures", "1,2,3,4,5,6,7,8", "the `figures` to measure")
	dens := fs.String("density", "100,500,1000", "guest `counts` of the density figure")
	fs.Int64Var(&o.size, "size", 1<<30, "`bytes` of the file transfer and port forward figures")
	fs.IntVar(&o.concurrency, "concurrency", 200, "logins at once in figure 7")
	fs.IntVar(&o.class, "class", 30, "students of figure 9's class (two guests each; figure 9 runs only when -figures names it)")
	// Figure 10 (the cluster gateway) also runs only when -figures names
	// it: it needs make kube-bins.
	fs.BoolVar(&o.tracePlacement, "trace-placement", false, "figure 10: print how long its Guests took from each step of their placement to the next, the phases of their starts in the node's vmhostd, and the CPU each process of the cluster used")
	fs.BoolVar(&o.keepMemory, "keep-memory", false, "leave the machine's free page reporting and DAMON as they are (see bench/memory.go)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.figures, err = ints(*figs); err != nil {
		return o, fmt.Errorf("-figures: %w", err)
	}
	if o.density, err = ints(*dens); err != nil {
		return o, fmt.Errorf("-density: %w", err)
	}
	return o, nil
}

// ints parses "1,2,3".
func ints(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a list of positive numbers", s)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// netImage is the Debian image of figure 6's guest: iperf3 inside.
const netImage = "  debnet: {source: debootstrap, suite: bookworm, variant: minbase, include: [iperf3]}\n"

// runBench sets up vmhostd and sshd, measures the figures and cleans up.
func runBench(o options) int {
	dir, err := os.MkdirTemp("/var/tmp", "vmhost-bench-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	os.Chmod(dir, 0o755) // guests traverse data_dir
	b := &bench{o: o, dir: dir}
	defer b.cleanup()
	sigs := make(chan os.Signal, 1)
	// SIGPIPE too: "make bench | head" must not leave guests behind.
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	go func() { <-sigs; fmt.Fprintln(os.Stderr, "bench: interrupted; cleaning up"); b.cleanup(); os.Exit(1) }()
	if !o.keepMemory {
		restore, note, err := quietMemory()
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 1
		}
		b.restoreMemory, b.memory = restore, note
		if note != "" {
			fmt.Println(note)
		}
	}
	if err := b.setUp(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	b.measure()
	writeTable(os.Stdout, b.rows)
	if o.out != "" {
		if err := writeResults(o.out, b.rows, b.memory, b.notes); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 1
		}
		fmt.Printf("\nwritten to %s\n", o.out)
	}
	if len(b.notes) > 0 {
		return 1
	}
	return 0
}

// bench is one run: its directory, servers and results.
type bench struct {
	o     options
	dir   string
	pub   string // the client's public key
	c     client
	d     *daemon
	s     *sshd
	vm    target
	base  target
	rows  []row
	notes []string
	once  sync.Once // of cleanup

	memory        string // what quietMemory did, for the report
	restoreMemory func()
}

// want reports whether figure n is asked for.
func (b *bench) want(n int) bool { return slices.Contains(b.o.figures, n) }

// setUp makes the key and starts vmhostd and sshd.
func (b *bench) setUp() error {
	key := filepath.Join(b.dir, "id_ed25519")
	pub, err := keygen(key)
	if err != nil {
		return err
	}
	b.c = client{key: key}
	b.pub = strings.TrimSpace(pub)
	images := ""
	users := fmt.Sprintf("  %s:\n    reattach: false\n    keys: [%q]\n", plainUser, strings.TrimSpace(pub))
	if b.want(6) {
		images = netImage
		users += fmt.Sprintf("  benchnet:\n    image: debnet\n    keys: [%q]\n", strings.TrimSpace(pub))
	}
	if b.want(9) {
		setup, err := writeClassSetup(b.dir)
		if err != nil {
			return err
		}
		users += classUsers(b.o.class, pub, setup)
	}
	if b.d, err = newDaemon(b.o.vmhostd, b.dir, pub, images, users); err != nil {
		return err
	}
	if b.want(6) {
		fmt.Println("building the Debian image of figure 6 (iperf3)...")
		if err := run(b.o.vmhostd, "image", "build", "debnet", "--config", b.d.config); err != nil {
			return err
		}
	}
	if err := b.d.start(); err != nil {
		return err
	}
	b.vm = target{name: "vmhost", port: b.d.port, login: benchUser, cpu: vmhostCPU{d: b.d, guest: benchUser}}
	sshdDir := filepath.Join(b.dir, "sshd")
	if err := os.Mkdir(sshdDir, 0o700); err != nil {
		return err
	}
	if b.s, err = startSSHD(sshdDir, pub); err != nil {
		return err
	}
	b.base = target{name: "sshd", port: b.s.port, login: "root", cpu: sshdCPU{pid: b.s.cmd.Process.Pid}}
	return nil
}

// measure runs each figure asked for; a figure that fails becomes a note.
func (b *bench) measure() {
	var warm time.Duration
	step := func(n int, f func() ([]row, error)) {
		if !b.want(n) {
			return
		}
		fmt.Printf("figure %d...\n", n)
		rows, err := f()
		for _, r := range rows {
			fmt.Printf("  %s: %s | %s | %s\n", r.figure, r.vmhost, orDash(r.baseline), orDash(r.ratio))
		}
		b.rows = append(b.rows, rows...)
		if err != nil {
			b.notes = append(b.notes, fmt.Sprintf("figure %d failed: %v", n, err))
			fmt.Printf("  failed: %v\n", err)
		}
	}
	one := func(r row, err error) ([]row, error) {
		if err != nil {
			return nil, err
		}
		return []row{r}, nil
	}
	step(1, func() ([]row, error) {
		r, w, err := warmLogin(b.c, b.vm, b.base, b.o.runs)
		warm = w
		return one(r, err)
	})
	step(2, func() ([]row, error) { return one(firstLogin(b.c, b.vm, warm, b.o.runs)) })
	step(7, func() ([]row, error) { return one(concurrentLogins(b.c, b.vm, b.base, b.o.concurrency)) })
	transferRuns := max(1, b.o.runs/5)
	step(4, func() ([]row, error) {
		remote := map[string]string{"vmhost": "/root/payload", "sshd": filepath.Join(b.dir, "sshd-payload")}
		return fileTransfer(b.c, b.vm, b.base, remote, b.dir, b.o.size, transferRuns)
	})
	step(5, func() ([]row, error) { return one(portForward(b.c, b.vm, b.base, b.o.size, transferRuns)) })
	step(6, func() ([]row, error) {
		return one(guestNetwork(b.c, target{name: "vmhost", port: b.d.port, login: "benchnet"}, transferRuns))
	})
	step(8, func() ([]row, error) { return keptSessions(b.c, b.d, b.vm, 50, 500) })
	step(9, func() ([]row, error) { return one(classFigure(b.d, b.o.class)) })
	step(10, func() ([]row, error) { return clusterFigure(b.c, b.vm, b.o, b.dir, b.pub) })
	step(3, func() ([]row, error) { return density(b.c, b.d, b.vm, b.o.density) })
}

// cleanup stops sshd and vmhostd and removes everything they made, once: a
// second call, such as the end of runBench while a signal's cleanup runs,
// waits for the first to finish.
func (b *bench) cleanup() { b.once.Do(b.clean) }

// clean is cleanup's work.
func (b *bench) clean() {
	if b.s != nil {
		b.s.stop()
	}
	if b.d != nil {
		if err := b.d.cleanup(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: cleaning up: %v\n", err)
		}
	}
	os.RemoveAll(b.dir)
	if b.restoreMemory != nil {
		b.restoreMemory()
	}
}
