package kubetest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ports are the loopback ports of one control plane.
type ports struct {
	etcdClient, etcdPeer, apiserver int
}

// layout names the files of one control plane inside its directory.
type layout struct {
	dir string
}

func (l layout) path(name string) string { return filepath.Join(l.dir, name) }

// etcdArgs are etcd's flags: one member on loopback, no fsync (the data is
// thrown away with the test).
func etcdArgs(l layout, p ports) []string {
	client := "http://127.0.0.1:" + strconv.Itoa(p.etcdClient)
	peer := "http://127.0.0.1:" + strconv.Itoa(p.etcdPeer)
	return []string{
		"--name=kubetest",
		"--data-dir=" + l.path("etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=kubetest=" + peer,
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
}

// apiserverArgs are kube-apiserver's flags: serving on loopback with the
// certificate the control plane's CA signed, trusting client certificates
// of that CA, RBAC and Node authorization, and no endpoint for the
// "kubernetes" Service (a loopback address is no valid endpoint).
func apiserverArgs(l layout, p ports, opts Options) []string {
	tolerate := strconv.Itoa(int(opts.DefaultToleration / time.Second))
	return []string{
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(p.etcdClient),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.apiserver),
		"--tls-cert-file=" + l.path("apiserver.crt"),
		"--tls-private-key-file=" + l.path("apiserver.key"),
		"--client-ca-file=" + l.path("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + l.path("sa.pub"),
		"--service-account-signing-key-file=" + l.path("sa.key"),
		"--service-cluster-ip-range=" + serviceRange,
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--endpoint-reconciler-type=none",
		"--default-not-ready-toleration-seconds=" + tolerate,
		"--default-unreachable-toleration-seconds=" + tolerate,
		"--profiling=false",
		"--v=1",
	}
}

// serviceRange is the range ClusterIPs are drawn from. Nothing routes it
// here (no kube-proxy runs): the addresses are only names in the API.
const serviceRange = "10.96.0.0/16"

// schedulerArgs are kube-scheduler's flags: no serving port, no leader
// election.
func schedulerArgs(l layout) []string {
	return []string{
		"--kubeconfig=" + l.path("scheduler.kubeconfig"),
		"--secure-port=0",
		"--leader-elect=false",
		"--v=1",
	}
}

// controllerManagerArgs are kube-controller-manager's flags: only the
// controllers opts names, no serving port, no leader election, and node
// loss noticed after opts.NodeGracePeriod.
func controllerManagerArgs(l layout, opts Options) []string {
	return []string{
		"--kubeconfig=" + l.path("controller-manager.kubeconfig"),
		"--secure-port=0",
		"--leader-elect=false",
		"--controllers=" + strings.Join(opts.Controllers, ","),
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + l.path("sa.key"),
		"--root-ca-file=" + l.path("ca.crt"),
		"--node-monitor-grace-period=" + opts.NodeGracePeriod.String(),
		"--node-monitor-period=" + opts.NodeMonitorPeriod.String(),
		"--node-startup-grace-period=" + (2 * opts.NodeGracePeriod).String(),
		"--node-eviction-rate=" + fmt.Sprint(nodeEvictionRate),
		"--concurrent-gc-syncs=5",
		"--v=1",
	}
}

// nodeEvictionRate is how many nodes a second may have their pods evicted:
// more than a test ever loses at once.
const nodeEvictionRate = 10
