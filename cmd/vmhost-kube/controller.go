package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"vmhost/kube/agentcert"
	"vmhost/kube/controller"
)

// runController runs the controller role.
func runController(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	var kf kubeFlags
	kf.add(fs)
	var o controller.Options
	fs.StringVar(&o.PauseImage, "pause-image", controller.DefaultPauseImage, "the placeholder pods' image")
	fs.Int64Var(&o.TolerationSeconds, "toleration-seconds", controller.DefaultTolerationSeconds, "how long a placeholder pod stays on a node not ready or unreachable")
	fs.DurationVar(&o.NodeLostGrace, "node-lost-grace", controller.DefaultNodeLostGrace, "how long a node must be not ready before its guests are taken as lost")
	fs.BoolVar(&o.LeaderElection, "leader-elect", true, "hold a Lease so that one replica reconciles at a time")
	fs.StringVar(&o.HealthAddr, "health-addr", ":8081", "where /healthz and /readyz are served; empty: nowhere")
	caCert := fs.String("agent-ca-cert", "", "the cluster CA certificate (PEM) to sign agents' certificates with; empty: agents' certificates are made by hand")
	caKey := fs.String("agent-ca-key", "", "its key (PEM)")
	validity := fs.Duration("agent-cert-validity", agentcert.DefaultValidity, "the longest life of an agent's certificate")
	agentSA := fs.String("agent-service-account", "vmhost-agent", "the agents' service account, in the Guests' namespace")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*caCert == "") != (*caKey == "") {
		return errors.New("-agent-ca-cert and -agent-ca-key go together")
	}
	cfg, err := kf.restConfig()
	if err != nil {
		return err
	}
	o.Namespace = kf.namespace
	ctrl.SetLogger(logrFor(log))
	log.Info("vmhost-kube controller", "namespace", o.Namespace, "leader_elect", o.LeaderElection,
		"node_lost_grace", o.NodeLostGrace.Round(time.Second))
	mgr, err := controller.NewManager(cfg, o)
	if err != nil {
		return err
	}
	if *caCert != "" {
		ca, err := agentcert.LoadCA(*caCert, *caKey)
		if err != nil {
			return err
		}
		s := &agentcert.Signer{Client: mgr.GetClient(), CA: ca, AgentUser: agentcert.AgentUser(o.Namespace, *agentSA), Validity: *validity}
		if err := s.SetupWithManager(mgr); err != nil {
			return err
		}
		log.Info("signing agents' certificates", "ca", *caCert, "agent_service_account", s.AgentUser, "validity", *validity)
	}
	return mgr.Start(ctx)
}
