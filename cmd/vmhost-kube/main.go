// Command vmhost-kube runs vmhost's roles on a Kubernetes cluster: the
// controller that places Guests through placeholder pods, the agent that
// gives a node's vmhostd the Guests placed on it, and the SSH gateway that
// carries users' logins to the node their guest runs on.
//
// It is apart from vmhostd so that vmhostd, whose binary every guest's init
// runs, links none of the Kubernetes client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// roles are the commands of vmhost-kube.
var roles = map[string]func(ctx context.Context, args []string, log *slog.Logger) error{
	"controller": runController,
	"agent":      runAgent,
	"agent-cert": runAgentCert,
	"gateway":    runGateway,
}

func main() {
	if len(os.Args) < 2 || roles[os.Args[1]] == nil {
		usage(os.Stderr)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := roles[os.Args[1]](ctx, os.Args[2:], log); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "vmhost-kube %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// usage writes the command line.
func usage(w io.Writer) {
	fmt.Fprint(w, `usage: vmhost-kube ROLE [flags]

roles:
  controller   place Guests on nodes through placeholder pods (leader elected)
  agent        give this node's vmhostd the Guests placed on it, report their status
  agent-cert   obtain this node's vmhostd certificate from the controller, once (an init container)
  gateway      the SSH entry point: authenticate users, carry logins to their guest's node

vmhost-kube ROLE -h lists a role's flags.
`)
}

// kubeFlags are the flags every role has.
type kubeFlags struct {
	kubeconfig string
	namespace  string
}

// add registers f on fs.
func (f *kubeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file; empty: the pod's service account (in the cluster)")
	fs.StringVar(&f.namespace, "namespace", envOr("POD_NAMESPACE", "vmhost"), "the namespace of the Guests")
}

// restConfig is the API server's address and credentials, with the
// request rate of a kubelet (50 a second, bursts of 100): client-go's
// default of 5 a second queues the writes of a hundred guests placed at
// once for tens of seconds.
func (f *kubeFlags) restConfig() (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if f.kubeconfig == "" {
		if cfg, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("reaching the API server: not in a cluster, and no -kubeconfig: %w", err)
		}
	} else if cfg, err = clientcmd.BuildConfigFromFlags("", f.kubeconfig); err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", f.kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// envOr is the environment variable name, or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
