package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// row is one line of the results table.
type row struct {
	figure   string // "1. warm login"
	vmhost   string // the measure of vmhost
	baseline string // the baseline's, "" when the figure has none
	ratio    string // vmhost / baseline, "" when none
	goal     string
}

// ratio formats a/b as "0.42x".
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// mib formats bytes in MiB.
func mib(b int64) string {
	return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
}

// writeTable writes rows as a Markdown table.
func writeTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| figure | vmhost | baseline | ratio | goal |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.figure, r.vmhost, orDash(r.baseline), orDash(r.ratio), r.goal)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeResults writes the table with the machine and the date to path.
func writeResults(path string, rows []row, memory string, notes []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# vmhost benchmark results\n\n")
	fmt.Fprintf(&b, "Written by `make bench` on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s\n\n", machine())
	if memory != "" {
		fmt.Fprintf(&b, "Memory: %s.\n\n", memory)
	}
	fmt.Fprintf(&b, "Baselines: %s, iperf3 between two network namespaces joined by a veth pair.\n", firstLine("ssh", "-V"))
	fmt.Fprintf(&b, "Each figure is a median of runs interleaved with its baseline's, each side going first in turn; ratios are vmhost / baseline (for times, lower is better; for throughput, higher is).\n\n")
	writeTable(&b, rows)
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\nNotes:\n\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// machine describes the machine: kernel, CPU, cores, memory, vmhost commit.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	mem, _ := meminfo("MemTotal")
	return fmt.Sprintf("Linux %s, %s, %d cores, %s memory, vmhost %s",
		firstLine("uname", "-r"), cpu, runtime.NumCPU(), mib(mem), firstLine("git", "rev-parse", "--short", "HEAD"))
}

// firstLine returns the first line a command prints, or "unknown".
func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
