package kubetest

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// startTimeout bounds each step of starting a control plane.
const startTimeout = 90 * time.Second

// startAttempts is how often Start tries when a port it drew was taken in
// between by another program.
const startAttempts = 3

// ControlPlane is a running etcd, kube-apiserver, kube-scheduler and
// kube-controller-manager.
type ControlPlane struct {
	// Config reaches kube-apiserver as a cluster administrator (group
	// system:masters).
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file with the same identity.
	Kubeconfig string
	// Dir holds the control plane's data, certificates and logs.
	Dir string

	opts  Options
	ca    *authority
	procs []*process
}

// Start starts a control plane with its files in dir (which must exist and
// is left to the caller to remove) from the binaries in BinDir. An error
// wraps ErrNoBinaries when they are not built. On error nothing it started
// is left running.
func Start(dir string, opts Options) (*ControlPlane, error) {
	bins, err := findBinaries(BinDir())
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	for attempt := 1; ; attempt++ {
		cp := &ControlPlane{Dir: dir, opts: opts}
		err := cp.start(bins)
		if err == nil {
			return cp, nil
		}
		cp.Stop()
		if attempt == startAttempts || !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
		if err := os.RemoveAll(cp.layout().path("etcd")); err != nil {
			return nil, fmt.Errorf("removing the data of a failed start: %w", err)
		}
	}
}

// Stop stops every process of the control plane, by the pid it started,
// newest first. Its files stay.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop()
	}
	cp.procs = nil
}

// Pids returns the process ids of the running programs, by name.
func (cp *ControlPlane) Pids() map[string]int {
	pids := make(map[string]int, len(cp.procs))
	for _, p := range cp.procs {
		pids[p.name] = p.cmd.Process.Pid
	}
	return pids
}

// Options returns the options the control plane runs with, defaults
// filled in.
func (cp *ControlPlane) Options() Options { return cp.opts }

// Clientset returns a clientset with the administrator's identity.
func (cp *ControlPlane) Clientset() (*kubernetes.Clientset, error) {
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return nil, fmt.Errorf("making a clientset: %w", err)
	}
	return cs, nil
}

// NodeConfig returns a client configuration with the identity a kubelet of
// node name has (user system:node:NAME in group system:nodes), which the
// Node authorizer and the NodeRestriction admission plugin limit to that
// node's business.
func (cp *ControlPlane) NodeConfig(name string) (*rest.Config, error) {
	pair, err := cp.ca.issue(certSpec{
		commonName: "system:node:" + name,
		orgs:       []string{"system:nodes"},
		usage:      x509.ExtKeyUsageClientAuth,
	})
	if err != nil {
		return nil, err
	}
	return restConfig(cp.Config.Host, cp.ca.certPEM, pair), nil
}

// LogTails returns the last n lines of each program's log.
func (cp *ControlPlane) LogTails(n int) string {
	var b strings.Builder
	for _, p := range cp.procs {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, p.logPath, p.logTail(n))
	}
	return b.String()
}

func (cp *ControlPlane) layout() layout { return layout{dir: cp.Dir} }

// start makes the certificates and keys, then starts each program and
// waits until it serves.
func (cp *ControlPlane) start(bins map[string]string) error {
	p, err := freePorts()
	if err != nil {
		return err
	}
	cp.Config = &rest.Config{Host: "https://127.0.0.1:" + strconv.Itoa(p.apiserver)}
	if err := cp.writeCredentials(); err != nil {
		return err
	}
	l := cp.layout()
	etcd, err := cp.run(bins, "etcd", etcdArgs(l, p))
	if err != nil {
		return err
	}
	if err := etcd.waitFor("etcd's /health", startTimeout, etcdHealthy(p.etcdClient)); err != nil {
		return err
	}
	apiserver, err := cp.run(bins, "kube-apiserver", apiserverArgs(l, p, cp.opts))
	if err != nil {
		return err
	}
	if err := apiserver.waitFor("/readyz", startTimeout, cp.apiserverReady); err != nil {
		return err
	}
	if _, err := cp.run(bins, "kube-scheduler", schedulerArgs(l)); err != nil {
		return err
	}
	kcm, err := cp.run(bins, "kube-controller-manager", controllerManagerArgs(l, cp.opts))
	if err != nil {
		return err
	}
	return kcm.waitFor("the default service account", startTimeout, cp.defaultServiceAccountExists)
}

// run starts one of the programs with its log in the control plane's
// directory, and keeps it to stop.
func (cp *ControlPlane) run(bins map[string]string, name string, args []string) (*process, error) {
	p, err := startProcess(name, bins[name], cp.layout().path(name+".log"), args)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, p)
	return p, nil
}

// apiserverReady reports whether kube-apiserver answers /readyz with ok.
func (cp *ControlPlane) apiserverReady() bool {
	cs, err := cp.Clientset()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	return err == nil && string(body) == "ok"
}

// defaultServiceAccountExists reports whether kube-controller-manager's
// service account controller has made the default namespace's "default"
// service account, without which no pod can be created: a sign that it runs.
func (cp *ControlPlane) defaultServiceAccountExists() bool {
	cs, err := cp.Clientset()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
	return err == nil
}

// etcdHealthy returns a check of etcd's /health on port.
func etcdHealthy(port int) func() bool {
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
	client := &http.Client{Timeout: 2 * time.Second}
	return func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

// freePorts draws three free loopback ports. Another program may take one
// before it is used: Start tries again then.
func freePorts() (ports, error) {
	var got [3]int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for i := range got {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("drawing a free port: %w", err)
		}
		listeners = append(listeners, l)
		got[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports{etcdClient: got[0], etcdPeer: got[1], apiserver: got[2]}, nil
}
