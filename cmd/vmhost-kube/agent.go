package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"path/filepath"

	ctrl "sigs.k8s.io/controller-runtime"

	"vmhost/admin"
	"vmhost/kube/agent"
)

// runAgent runs the agent role: the Guests placed on this node go to the
// node's vmhostd through its admin socket.
func runAgent(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	var kf kubeFlags
	kf.add(fs)
	var o agent.Options
	var socket string
	var cf certFlags
	cf.add(fs)
	fs.StringVar(&o.NodeName, "node", envOr("NODE_NAME", ""), "this node's name (NODE_NAME from the downward API)")
	fs.StringVar(&o.Endpoint, "endpoint", "", "host:port where gateways reach this node's vmhostd (its cluster.listen), e.g. $(POD_IP):7443")
	fs.StringVar(&o.KubeletDir, "kubelet-dir", agent.DefaultKubeletDir, "the kubelet's root directory, where it mounts volume guests' claims (seen at the same path by vmhostd)")
	fs.StringVar(&socket, "admin-socket", filepath.Join("/run/vmhost", admin.SocketName), "the node's vmhostd admin socket")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.NodeName == "" || o.Endpoint == "" {
		return errors.New("-node (or NODE_NAME) and -endpoint are required")
	}
	cfg, err := kf.restConfig()
	if err != nil {
		return err
	}
	o.Namespace = kf.namespace
	ctrl.SetLogger(logrFor(log))
	log.Info("vmhost-kube agent", "node", o.NodeName, "endpoint", o.Endpoint, "admin_socket", socket)
	vmhostd := admin.NewClient(socket)
	if cf.dir != "" {
		c, err := certClient(cfg)
		if err != nil {
			return err
		}
		got, err := cf.ensure(ctx, c, o.NodeName, log)
		if err != nil {
			return err
		}
		if got {
			reloadVmhostd(ctx, vmhostd, log)
		}
		go func() {
			if err := cf.keepRenewed(ctx, c, o.NodeName, vmhostd, log); err != nil && ctx.Err() == nil {
				log.Error("renewing the node certificate stopped", "err", err)
			}
		}()
	}
	return agent.Run(ctx, cfg, adminNode{vmhostd}, o)
}

// adminNode is the node's vmhostd as the agent drives it, through its
// admin API (the cluster routes of vmhostd's agent role).
type adminNode struct{ c *admin.Client }

// Assign implements agent.Node: the guest is assigned, then made and
// started as a login would.
func (n adminNode) Assign(ctx context.Context, a agent.Assignment) error {
	l := a.Limits
	_, err := n.c.Assign(ctx, admin.ClusterAssign{Owner: a.Owner, Name: a.Name, Image: a.Image, Volume: a.Volume, Start: true,
		Limits: admin.Limits{CPUs: l.CPUs, MemoryBytes: l.Memory, DiskBytes: l.Disk, Pids: l.Pids}})
	return err
}

// Unassign implements agent.Node; a guest not assigned is no error.
func (n adminNode) Unassign(ctx context.Context, owner, name string) error {
	_, err := n.c.Unassign(ctx, admin.ClusterUnassign{Owner: owner, Name: name})
	var ae *admin.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// List implements agent.Node.
func (n adminNode) List(ctx context.Context) ([]agent.AssignedGuest, error) {
	gs, err := n.c.ClusterGuests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]agent.AssignedGuest, 0, len(gs))
	for _, g := range gs {
		out = append(out, agent.AssignedGuest{Owner: g.Owner, Name: g.Name, State: agentState(g.State), Address: g.Address})
	}
	return out, nil
}

// agentState is the agent's word for a vmhostd guest state.
func agentState(s string) string {
	switch s {
	case "running":
		return agent.StateRunning
	case "starting":
		return agent.StateStarting
	}
	return agent.StateStopped
}
