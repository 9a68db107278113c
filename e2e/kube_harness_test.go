package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"vmhost/admin"
	"vmhost/cluster/clustertest"
	v1alpha1 "vmhost/kube/api/v1alpha1"
	"vmhost/kube/controller"
	"vmhost/kube/kubetest"
)

// vmhost on Kubernetes (issue 24), end to end on one machine: a real
// control plane (kubetest), node keepers standing in for the kubelets, and
// on each "node" a vmhostd in the agent role with its own bridge, subnet
// and data dir, and a vmhost-kube agent; the controller and gateways run
// as processes of their own, as their pods would.

// kubeBin is vmhost-kube, built once per test binary next to vmhostd.
var kubeBin struct {
	once sync.Once
	path string
	err  error
}

// vmhostKube returns the path of vmhost-kube, building it on first use.
func vmhostKube(t testing.TB) string {
	t.Helper()
	kubeBin.once.Do(func() {
		kubeBin.path = filepath.Join(filepath.Dir(daemonBin), "vmhost-kube")
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", kubeBin.path, "vmhost/cmd/vmhost-kube")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			kubeBin.err = fmt.Errorf("building vmhost-kube: %w\n%s", err, b)
		}
	})
	if kubeBin.err != nil {
		t.Fatal(kubeBin.err)
	}
	return kubeBin.path
}

// kubeCluster is a control plane with vmhost's pieces around it.
type kubeCluster struct {
	t      *testing.T
	cp     *kubetest.ControlPlane
	c      client.Client
	ns     string
	prefix string // of the node names, random
	ca     *clustertest.CA
	// userCAKey and userCAPub are the gateways' SSH user CA.
	userCAKey, userCAPub string
	gateway              clustertest.Issued
	hostKeys             string // the gateways' host keys, shared
	// controllerConfig and gatewayConfig are the kubeconfigs of the
	// controller and the gateways: tokens of their service accounts.
	controllerConfig, gatewayConfig string
	keys                            map[string]string
	nodes                           map[string]*kubeNode
	gateways                        []*kubeProc
}

// kubeNode is one node: its keeper, its vmhostd and its agent.
type kubeNode struct {
	name   string
	keeper *kubetest.Node
	d      *daemon
	listen string // vmhostd's cluster.listen
	agent  *kubeProc
}

// newKubeCluster starts the control plane, installs the Guest CRD, and
// starts the controller; nodes and gateways are added by the test.
func newKubeCluster(t *testing.T) *kubeCluster {
	t.Helper()
	kubetest.RequireBinaries(t)
	vmhostKube(t) // built before the clock of the control plane starts
	cp := kubetest.ForTest(t, kubetest.Options{})
	if _, err := envtest.InstallCRDs(cp.Config, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join("..", "deploy", "kubernetes", "crds")}, ErrorIfPathMissing: true,
	}); err != nil {
		t.Fatalf("installing the Guest CRD: %v", err)
	}
	scheme, err := controller.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cp.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	k := &kubeCluster{t: t, cp: cp, c: c, ns: "vmhost", prefix: "vmk" + randomHex(t, 2),
		ca: clustertest.NewCA(t, "cluster"), keys: map[string]string{}, nodes: map[string]*kubeNode{},
		hostKeys: t.TempDir()}
	k.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: k.ns}})
	manifests := filepath.Join("..", "deploy", "kubernetes")
	if err := kubetest.Apply(context.Background(), c, filepath.Join(manifests, "rbac.yaml"), filepath.Join(manifests, "policy.yaml")); err != nil {
		t.Fatalf("applying the manifests' RBAC and admission policy: %v", err)
	}
	k.gateway = k.ca.Client(t, "vmhost-gateway")
	k.userCAKey, k.userCAPub = writeUserCA(t)
	k.controllerConfig = k.serviceAccountKubeconfig("vmhost-controller")
	k.gatewayConfig = k.serviceAccountKubeconfig("vmhost-gateway")
	k.start("controller", k.controllerConfig, "-leader-elect", "-node-lost-grace", "5s", "-health-addr", "",
		"-agent-ca-cert", k.ca.File, "-agent-ca-key", k.ca.KeyFile)
	return k
}

// serviceAccountKubeconfig writes a kubeconfig with a token of the
// service account name (of the manifests' RBAC), as its pod would have.
func (k *kubeCluster) serviceAccountKubeconfig(name string) string {
	k.t.Helper()
	cfg, err := k.cp.ServiceAccountConfig(context.Background(), k.ns, name)
	if err != nil {
		k.t.Fatal(err)
	}
	return k.writeKubeconfig(name, cfg)
}

// writeKubeconfig writes cfg as the kubeconfig file name.
func (k *kubeCluster) writeKubeconfig(name string, cfg *rest.Config) string {
	k.t.Helper()
	path := filepath.Join(k.t.TempDir(), name+".kubeconfig")
	if err := kubetest.WriteKubeconfig(path, cfg); err != nil {
		k.t.Fatal(err)
	}
	return path
}

// agentKubeconfig writes a kubeconfig for the agent of node: a token of
// the agents' service account bound to a pod of its own on node, as the
// DaemonSet's pod there would have, which the admission policy holds to
// the Guests of that node.
func (k *kubeCluster) agentKubeconfig(node string) string {
	k.t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: k.ns, Name: "vmhost-agent-" + node},
		Spec: corev1.PodSpec{NodeName: node, ServiceAccountName: "vmhost-agent",
			Containers: []corev1.Container{{Name: "agent", Image: "vmhost:latest"}}},
	}
	k.create(pod)
	cfg, err := k.cp.PodConfig(context.Background(), pod)
	if err != nil {
		k.t.Fatal(err)
	}
	return k.writeKubeconfig("agent-"+node, cfg)
}

// create stores obj.
func (k *kubeCluster) create(obj client.Object) {
	k.t.Helper()
	if err := k.c.Create(context.Background(), obj); err != nil {
		k.t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// users writes the users' Secret: each user's public key.
func (k *kubeCluster) users(names ...string) {
	k.t.Helper()
	data := map[string][]byte{}
	for _, u := range names {
		priv, pub := makeKey(k.t, k.t.TempDir(), u)
		k.keys[u] = priv
		data[u] = []byte(pub + "\n")
	}
	k.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: k.ns, Name: "vmhost-users"}, Data: data})
}

// addNode starts a node named prefix-suffix of cpu and memory: its keeper,
// a vmhostd in the agent role, and its vmhost-kube agent.
func (k *kubeCluster) addNode(suffix, cpu, memory string) *kubeNode {
	t := k.t
	t.Helper()
	name := k.prefix + "-" + suffix
	n := &kubeNode{name: name, listen: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	n.keeper = k.cp.StartNode(t, kubetest.NodeSpec{Name: name, CPU: cpu, Memory: memory})
	kubeconfig := k.agentKubeconfig(name)
	// The node's certificate, for its name only, from the controller, as
	// the DaemonSet's init container gets it.
	certDir := t.TempDir()
	cmd := exec.Command(vmhostKube(t), "agent-cert", "-kubeconfig", kubeconfig, "-node", name, "-cert-dir", certDir, "-cert-timeout", "30s")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vmhost-kube agent-cert for %s: %v\n%s", name, err, out)
	}
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, d.cfg.yaml()+fmt.Sprintf("cluster:\n  listen: %q\n  ca: %q\n  cert: %q\n  key: %q\n  user_ca: %q\n",
		n.listen, k.ca.File, filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key"), k.userCAPub))
	d.start(t)
	n.d = d
	n.agent = k.start("agent", kubeconfig, "-node", name, "-endpoint", n.listen, "-cert-dir", certDir,
		"-admin-socket", filepath.Join(d.runDir, admin.SocketName))
	k.nodes[name] = n
	return n
}

// killNode ends node as a machine's death would: its agent, its vmhostd,
// its guests and its kubelet (the keeper) are gone at once.
func (k *kubeCluster) killNode(n *kubeNode) {
	k.t.Helper()
	n.agent.kill9()
	n.d.kill9(k.t)
	n.d.killGuests(k.t)
	n.keeper.Stop()
}

// volumeGuest makes owner's Guest name a running volume guest, its files
// on a hostPath PersistentVolume of size (a directory every "node" of
// this machine reaches, as network storage would be) bound to a claim.
func (k *kubeCluster) volumeGuest(owner, name, size string) {
	k.t.Helper()
	dir := k.t.TempDir()
	pvName := k.prefix + "-" + owner + "-" + name
	claim := owner + "-" + name + "-files"
	q := resource.MustParse(size)
	rwo := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	none := ""
	k.create(&corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{
			Capacity: corev1.ResourceList{corev1.ResourceStorage: q}, AccessModes: rwo,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir}},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
		},
	})
	k.t.Cleanup(func() {
		k.c.Delete(context.Background(), &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pvName}})
	})
	k.create(&corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: k.ns, Name: claim},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: rwo, VolumeName: pvName, StorageClassName: &none,
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q}},
		},
	})
	// Bound first, as an admin's claim would be before its user logs in:
	// until then the scheduler places the pod nowhere, and says so.
	k.eventually(30*time.Second, "claim "+claim+" bound", func() bool {
		var pvc corev1.PersistentVolumeClaim
		err := k.c.Get(context.Background(), client.ObjectKey{Namespace: k.ns, Name: claim}, &pvc)
		return err == nil && pvc.Status.Phase == corev1.ClaimBound
	})
	k.create(&v1alpha1.Guest{
		ObjectMeta: metav1.ObjectMeta{Namespace: k.ns, Name: v1alpha1.ResourceName(owner, name)},
		Spec: v1alpha1.GuestSpec{Owner: owner, Name: name, Running: true,
			Storage: v1alpha1.GuestStorage{Class: v1alpha1.StorageVolume, Claim: claim}},
	})
}

// addGateway starts a gateway replica and returns its SSH port.
func (k *kubeCluster) addGateway() (*kubeProc, string) {
	k.t.Helper()
	port := fmt.Sprint(freePort(k.t))
	g := k.start("gateway", k.gatewayConfig, "-listen", "127.0.0.1:"+port, "-host-keys", k.hostKeys,
		"-ca", k.ca.File, "-cert", k.gateway.CertFile, "-key", k.gateway.KeyFile, "-user-ca-key", k.userCAKey,
		"-default-cpus", "500m", "-default-memory", "256Mi")
	g.port = port
	k.gateways = append(k.gateways, g)
	k.eventually(30*time.Second, "the gateway listening on "+port, func() bool {
		select {
		case <-g.done:
			k.t.Fatalf("the gateway ended; its log:\n%s", g.logText())
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return g, port
}

// logText is the process's log so far.
func (p *kubeProc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// ssh runs `ssh login@127.0.0.1 -p port args...` with the user's key.
func (k *kubeCluster) ssh(port, login string, args ...string) (stdout, stderr string, code int) {
	k.t.Helper()
	d := &daemon{cfg: daemonConfig{listen: "127.0.0.1:" + port}}
	owner, _, _ := strings.Cut(login, "+")
	return d.sshWithKey(k.t, k.keys[owner], login, args...)
}

// guest is the Guest of owner's guest name, or nil.
func (k *kubeCluster) guest(owner, name string) *v1alpha1.Guest {
	var g v1alpha1.Guest
	key := client.ObjectKey{Namespace: k.ns, Name: v1alpha1.ResourceName(owner, name)}
	if err := k.c.Get(context.Background(), key, &g); err != nil {
		return nil
	}
	return &g
}

// eventually calls cond every 200ms until it returns true, failing the
// test with what after timeout.
func (k *kubeCluster) eventually(timeout time.Duration, what string, cond func() bool) {
	k.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			k.t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// kubeProc is a vmhost-kube process the test started.
type kubeProc struct {
	role, log, port string
	cmd             *exec.Cmd
	done            chan struct{}
}

// start starts vmhost-kube role with the kubeconfig file and args, its
// log in a file; the test's cleanup kills it (by the pid it started) and,
// when the test failed, shows the log's end.
func (k *kubeCluster) start(role, kubeconfig string, args ...string) *kubeProc {
	t := k.t
	t.Helper()
	p := &kubeProc{role: role, log: filepath.Join(t.TempDir(), role+".log"), done: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	all := append([]string{role, "-kubeconfig", kubeconfig, "-namespace", k.ns}, args...)
	p.cmd = exec.Command(vmhostKube(t), all...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting vmhost-kube %s: %v", role, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill9()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("vmhost-kube %s %v log:\n%s", role, args, lastLines(string(b), 40))
		}
	})
	return p
}

// kill9 ends the process at once, as a node's death or a pod's would.
func (p *kubeProc) kill9() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeUserCA makes the gateways' SSH user CA: its private key (for the
// gateways) and its public key (for the agents' cluster.user_ca).
func writeUserCA(t testing.TB) (keyFile, pubFile string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "vmhost user CA")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile, pubFile = filepath.Join(dir, "user-ca"), filepath.Join(dir, "user-ca.pub")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubFile, ssh.MarshalAuthorizedKey(sshPub), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyFile, pubFile
}

// randomHex is n random bytes in hex.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
