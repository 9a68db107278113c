// Package cluster is vmhostd's side of a cluster node (the agent role): the
// guests assigned to this node, kept in data_dir/cluster/assigned.json, the
// policy that gives an assigned guest its image and limits, and the
// mutually authenticated TLS listener that the cluster's gateways reach
// the node's SSH server through. It holds no Kubernetes code: the sync
// that assigns guests talks to the daemon's admin API.
package cluster
