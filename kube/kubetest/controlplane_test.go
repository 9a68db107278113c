package kubetest

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestVersionMatchesBuildModule(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "hack", "kube-bins", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got string
	for s := bufio.NewScanner(f); s.Scan(); {
		if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "k8s.io/kubernetes" {
			got = fields[1]
		}
	}
	if got != Version {
		t.Errorf("hack/kube-bins/go.mod builds k8s.io/kubernetes %q, Version = %q", got, Version)
	}
}

func TestStartWithoutBinaries(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(BinDirEnv, empty)
	_, err := Start(t.TempDir(), Options{})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("Start without binaries = %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"make kube-bins", filepath.Join(empty, "etcd")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start without binaries: %q does not say %q", err, want)
		}
	}
}

func TestControlPlaneServes(t *testing.T) {
	cp := Shared(t)
	version, err := clientset(t, cp).Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if version.GitVersion != Version {
		t.Errorf("server version = %q, want %q", version.GitVersion, Version)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t, 30*time.Second)
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "kube-node-lease", metav1.GetOptions{}); err != nil {
		t.Errorf("getting kube-node-lease through %s: %v", cp.Kubeconfig, err)
	}
	for _, name := range Binaries {
		if cp.Pids()[name] == 0 {
			t.Errorf("%s is not running", name)
		}
	}
}

// TestStopLeavesNothing starts a control plane of its own in a subtest and
// checks, once the subtest's cleanup ran, that each process it started is
// gone and so is its directory.
func TestStopLeavesNothing(t *testing.T) {
	RequireBinaries(t)
	var pids map[string]int
	var dir string
	t.Run("run", func(t *testing.T) {
		cp := ForTest(t, Options{})
		pids, dir = cp.Pids(), cp.Dir
		if len(pids) != len(Binaries) {
			t.Fatalf("running %v, want each of %v", pids, Binaries)
		}
	})
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) after cleanup: kill 0 = %v, want ESRCH", name, pid, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the control plane's directory %s after cleanup: %v, want it gone", dir, err)
	}
	if procs := processesUsing(t, dir); len(procs) > 0 {
		t.Errorf("processes still naming %s: %v", dir, procs)
	}
}

// processesUsing returns the command lines of the processes whose command
// line names dir.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to look for leftover processes: %v", err)
	}
	var found []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if line := strings.ReplaceAll(string(cmdline), "\x00", " "); strings.Contains(line, dir) {
			found = append(found, e.Name()+": "+line)
		}
	}
	return found
}
