package kubetest

import "time"

// Options tune a control plane. The zero value means the defaults below.
type Options struct {
	// NodeGracePeriod is how long a node may go without a heartbeat before
	// kube-controller-manager marks it NotReady (Ready condition Unknown)
	// and taints it node.kubernetes.io/unreachable. Default 8s.
	NodeGracePeriod time.Duration
	// NodeMonitorPeriod is how often kube-controller-manager looks at the
	// nodes' heartbeats. Default 1s.
	NodeMonitorPeriod time.Duration
	// DefaultToleration is how long a pod that says nothing of it tolerates
	// its node being not ready or unreachable before it is evicted
	// (kube-apiserver's DefaultTolerationSeconds). Default 10s.
	DefaultToleration time.Duration
	// Controllers are the controllers kube-controller-manager runs.
	// Default DefaultControllers.
	Controllers []string
}

// DefaultControllers are the controllers of kube-controller-manager a
// control plane runs unless Options say otherwise: node loss and eviction,
// garbage collection by owner, service accounts, namespace deletion,
// volume binding, and the workloads of manifests (Deployment, ReplicaSet,
// DaemonSet). None needs a cloud provider.
var DefaultControllers = []string{
	"node-lifecycle-controller",
	"taint-eviction-controller",
	"garbage-collector-controller",
	"pod-garbage-collector-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
	"clusterrole-aggregation-controller",
	"namespace-controller",
	"persistentvolume-binder-controller",
	"persistentvolumeclaim-protection-controller",
	"deployment-controller",
	"replicaset-controller",
	"daemonset-controller",
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.NodeGracePeriod == 0 {
		o.NodeGracePeriod = 8 * time.Second
	}
	if o.NodeMonitorPeriod == 0 {
		o.NodeMonitorPeriod = time.Second
	}
	if o.DefaultToleration == 0 {
		o.DefaultToleration = 10 * time.Second
	}
	if len(o.Controllers) == 0 {
		o.Controllers = DefaultControllers
	}
	return o
}
