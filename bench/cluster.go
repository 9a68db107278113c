package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kclient "sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"vmhost/admin"
	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
	"vmhost/kube/kubetest"
)

// benchCluster is figure 10's cluster on this machine: a control plane
// (kubetest, from make kube-bins), one node (a keeper standing in for its
// kubelet, a vmhostd in the agent role and its vmhost-kube agent), the
// controller and one gateway.
type benchCluster struct {
	cp     *kubetest.ControlPlane
	keeper *kubetest.Node
	node   *daemon
	procs  map[string]*exec.Cmd // role -> process
	scheme *runtime.Scheme      // the built-in types and the Guest
	port   int                  // the gateway's SSH port
	trace  bool                 // -trace-placement
}

// clusterFigure is figure 10: a warm login through the cluster gateway
// (authenticated there, relayed over TLS to the node's vmhostd with a user
// certificate) against the same login straight to a vmhostd, and the
// memory of the Kubernetes roles.
func clusterFigure(c client, direct target, o options, dir, pubKey string) ([]row, error) {
	k, err := startBenchCluster(o, dir, pubKey)
	if k != nil {
		defer k.stop()
	}
	if err != nil {
		return nil, err
	}
	gw := target{name: "gateway", port: k.port, login: benchUser}
	r, _, err := warmLogin(c, gw, direct, o.runs)
	if err != nil {
		return nil, err
	}
	r.figure = fmt.Sprintf("10. warm login through the cluster gateway, `ssh gateway true` (median of %d)", o.runs)
	r.baseline = strings.Replace(r.baseline, "(sshd)", "(vmhostd directly)", 1)
	r.goal = "-" // measured (issue 24); no goal yet
	mem := row{figure: "10. memory (PSS) of the Kubernetes roles, one node, one guest", goal: "-"}
	var parts []string
	for _, role := range []string{"gateway", "agent", "controller"} {
		b, err := pss(k.procs[role].Process.Pid)
		if err != nil {
			return []row{r}, err
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", role, float64(b)/(1<<20)))
	}
	mem.vmhost = strings.Join(parts, ", ")
	many, err := k.placeMany(clusterGuests)
	return []row{r, mem, many}, err
}

// clusterGuests is how many guests figure 10 places on its node: under the
// 110 pods a kubelet takes by default, one being the gateway's login.
const clusterGuests = 100

// placeMany makes n running Guests of small requests and measures how long
// the cluster takes to place and start them all on the node, and the
// memory the agent and controller hold then.
func (k *benchCluster) placeMany(n int) (row, error) {
	r := row{figure: fmt.Sprintf("10. %d guests placed and started through the cluster on one node", n), goal: "-"}
	c, err := kclient.NewWithWatch(k.cp.Config, kclient.Options{Scheme: k.scheme})
	if err != nil {
		return r, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var tr *placeTrace
	if k.trace {
		if tr, err = k.tracePlacement(ctx, c); err != nil {
			return r, err
		}
		defer tr.report(os.Stdout)
	}
	cpu, mem := resource.MustParse("10m"), resource.MustParse("32Mi")
	start := time.Now()
	for i := range n {
		name := fmt.Sprintf("g%03d", i)
		g := &v1alpha1.Guest{
			ObjectMeta: metav1.ObjectMeta{Namespace: "vmhost", Name: v1alpha1.ResourceName(benchUser, name)},
			Spec: v1alpha1.GuestSpec{Owner: benchUser, Name: name, Running: true,
				Limits: v1alpha1.GuestLimits{CPUs: &cpu, Memory: &mem}},
		}
		tr.mark(g.Name, "created")
		if err := c.Create(ctx, g); err != nil {
			return r, fmt.Errorf("making Guest %s: %w", g.Name, err)
		}
	}
	for {
		var l v1alpha1.GuestList
		if err := c.List(ctx, &l, kclient.InNamespace("vmhost")); err != nil {
			return r, err
		}
		running := 0
		for _, g := range l.Items {
			if g.Status.Phase == v1alpha1.PhaseRunning {
				running++
			}
		}
		if running >= n+1 { // and the login's guest
			break
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("%d of %d guests running after 10 minutes", running, n+1)
		case <-time.After(200 * time.Millisecond):
		}
	}
	took := time.Since(start)
	var parts []string
	for _, role := range []string{"agent", "controller"} {
		b, err := pss(k.procs[role].Process.Pid)
		if err != nil {
			return r, err
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", role, float64(b)/(1<<20)))
	}
	r.vmhost = fmt.Sprintf("all running in %.1f s (%.0f ms a guest); then %s", took.Seconds(),
		float64(took.Milliseconds())/float64(n), strings.Join(parts, ", "))
	return r, nil
}

// startBenchCluster starts figure 10's cluster; on error, what it started
// is in the returned cluster for stop.
func startBenchCluster(o options, dir, pubKey string) (*benchCluster, error) {
	if _, err := os.Stat(o.vmhostKube); err != nil {
		return nil, fmt.Errorf("figure 10 needs vmhost-kube (make build): %w", err)
	}
	kdir := filepath.Join(dir, "kube")
	if err := os.MkdirAll(kdir, 0o700); err != nil {
		return nil, err
	}
	// The bench's own controller-runtime clients log nothing.
	ctrllog.SetLogger(logr.Discard())
	k := &benchCluster{procs: map[string]*exec.Cmd{}, trace: o.tracePlacement}
	var err error
	if k.cp, err = kubetest.Start(kdir, kubetest.Options{}); err != nil {
		return nil, fmt.Errorf("starting the control plane (make kube-bins builds it): %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := k.objects(ctx, pubKey); err != nil {
		return k, err
	}
	nodeCfg, err := k.cp.NodeConfig("bench-node")
	if err != nil {
		return k, err
	}
	if k.keeper, err = kubetest.StartNode(ctx, nodeCfg, kubetest.NodeSpec{Name: "bench-node"}); err != nil {
		return k, err
	}
	cdir := filepath.Join(dir, "cluster-credentials")
	if err := os.MkdirAll(cdir, 0o700); err != nil {
		return k, err
	}
	creds, err := makeCredentials(cdir)
	if err != nil {
		return k, err
	}
	if err := k.startNode(o, dir, pubKey, creds); err != nil {
		return k, err
	}
	if k.port, err = freePort(); err != nil {
		return k, err
	}
	kc := []string{"-kubeconfig", k.cp.Kubeconfig, "-namespace", "vmhost"}
	starts := map[string][]string{
		"controller": {"-leader-elect=false", "-health-addr", ""},
		"agent": {"-node", "bench-node", "-endpoint", creds.listen,
			"-admin-socket", filepath.Join(k.node.runDir, admin.SocketName)},
		"gateway": {"-listen", fmt.Sprintf("127.0.0.1:%d", k.port), "-host-keys", filepath.Join(kdir, "host-keys"),
			"-ca", creds.ca, "-cert", creds.gatewayCert, "-key", creds.gatewayKey, "-user-ca-key", creds.userCA},
	}
	for role, args := range starts {
		if err := k.start(o.vmhostKube, kdir, role, append(kc, args...)); err != nil {
			return k, err
		}
	}
	if err := waitTCP(fmt.Sprintf("127.0.0.1:%d", k.port), 30*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(kdir, "gateway.log"))
		return k, fmt.Errorf("%w; the gateway's log:\n%s", err, log)
	}
	return k, nil
}

// objects makes the Guest CRD, the namespace and the users' Secret.
func (k *benchCluster) objects(ctx context.Context, pubKey string) error {
	if _, err := envtest.InstallCRDs(k.cp.Config, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join("deploy", "kubernetes", "crds")}, ErrorIfPathMissing: true,
	}); err != nil {
		return fmt.Errorf("installing the Guest CRD: %w", err)
	}
	var err error
	if k.scheme, err = controller.NewScheme(); err != nil {
		return err
	}
	c, err := kclient.New(k.cp.Config, kclient.Options{Scheme: k.scheme})
	if err != nil {
		return err
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vmhost"}}); err != nil {
		return err
	}
	return c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "vmhost", Name: "vmhost-users"},
		Data: map[string][]byte{benchUser: []byte(pubKey)}})
}

// startNode starts the node's vmhostd in the agent role.
func (k *benchCluster) startNode(o options, dir, pubKey string, creds credentials) error {
	ndir := filepath.Join(dir, "node")
	if err := os.MkdirAll(ndir, 0o755); err != nil {
		return err
	}
	var err error
	if k.node, err = newDaemon(o.vmhostd, ndir, pubKey, "", ""); err != nil {
		return err
	}
	if k.trace {
		k.node.args = []string{"--log-level", "debug"} // each start's phases
	}
	// Apart from the main daemon's 10.240-249.0.0/16.
	k.node.subnet = fmt.Sprintf("10.%d.0.0/16", 230+rand.IntN(10))
	if err := os.WriteFile(k.node.config, []byte(k.node.yaml(pubKey, "", "")), 0o600); err != nil {
		return err
	}
	block := fmt.Sprintf("cluster:\n  listen: %q\n  ca: %q\n  cert: %q\n  key: %q\n  user_ca: %q\n",
		creds.listen, creds.ca, creds.agentCert, creds.agentKey, creds.userCA+".pub")
	f, err := os.OpenFile(k.node.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(block)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return k.node.start()
}

// start starts vmhost-kube role, its log in kdir.
func (k *benchCluster) start(bin, kdir, role string, args []string) error {
	logf, err := os.Create(filepath.Join(kdir, role+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, append([]string{role}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting vmhost-kube %s: %w", role, err)
	}
	k.procs[role] = cmd
	return nil
}

// stop ends every process the cluster started, by its pid, and the node's
// guests.
func (k *benchCluster) stop() {
	for _, cmd := range k.procs {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if k.node != nil {
		if err := k.node.cleanup(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: cleaning up the cluster's node: %v\n", err)
		}
	}
	if k.keeper != nil {
		k.keeper.Stop()
	}
	if k.cp != nil {
		k.cp.Stop()
	}
}

// credentials are the files of the cluster's CA, the node's and the
// gateway's certificates, and the gateways' SSH user CA.
type credentials struct {
	listen                                           string // the node's cluster.listen
	ca, agentCert, agentKey, gatewayCert, gatewayKey string
	userCA                                           string // its private key; .pub beside it
}

// makeCredentials makes them in dir with openssl and ssh-keygen, as the
// README's "Running on Kubernetes" does.
func makeCredentials(dir string) (credentials, error) {
	port, err := freePort()
	if err != nil {
		return credentials{}, err
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	c := credentials{listen: fmt.Sprintf("127.0.0.1:%d", port), ca: p("ca.crt"), agentCert: p("agent.crt"),
		agentKey: p("agent.key"), gatewayCert: p("gateway.crt"), gatewayKey: p("gateway.key"), userCA: p("user-ca")}
	ec := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"}
	steps := [][]string{
		append([]string{"openssl", "req", "-x509", "-days", "1", "-subj", "/CN=vmhost-cluster-ca", "-keyout", p("ca.key"), "-out", c.ca}, ec...),
		append([]string{"openssl", "req", "-subj", "/CN=vmhost-agent", "-keyout", c.agentKey, "-out", p("agent.csr")}, ec...),
		{"openssl", "x509", "-req", "-in", p("agent.csr"), "-CA", c.ca, "-CAkey", p("ca.key"), "-days", "1", "-out", c.agentCert,
			"-extfile", writeExt(dir, "agent.ext", "subjectAltName=DNS:bench-node\nextendedKeyUsage=serverAuth\n")},
		append([]string{"openssl", "req", "-subj", "/CN=vmhost-gateway", "-keyout", c.gatewayKey, "-out", p("gateway.csr")}, ec...),
		{"openssl", "x509", "-req", "-in", p("gateway.csr"), "-CA", c.ca, "-CAkey", p("ca.key"), "-days", "1", "-out", c.gatewayCert,
			"-extfile", writeExt(dir, "gateway.ext", "extendedKeyUsage=clientAuth\n")},
		{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vmhost user CA", "-f", c.userCA},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			return c, fmt.Errorf("%s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	return c, nil
}

// writeExt writes an openssl extensions file and returns its path.
func writeExt(dir, name, text string) string {
	path := filepath.Join(dir, name)
	os.WriteFile(path, []byte(text), 0o600)
	return path
}
