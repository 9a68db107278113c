// Package kubetest runs a real Kubernetes control plane for tests on one
// machine: etcd, kube-apiserver, kube-scheduler and kube-controller-manager,
// built from Go modules by `make kube-bins` into a cache outside the
// repository, each started on free loopback ports with its data in a
// directory of its own and stopped (by the pid it was started with) when the
// test ends.
//
// No kubelet runs here: a Node (a "node keeper") stands in for one. It
// registers a Node object, keeps its Lease and Ready condition fresh and
// marks the pods bound to it Running, as a kubelet would; stopping it is the
// node's death, which kube-controller-manager then notices for real.
//
// Tests that need the binaries skip, naming `make kube-bins`, only when the
// binaries are missing.
package kubetest
