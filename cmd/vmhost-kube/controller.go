package main

import (
	"context"
	"flag"
	"log/slog"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

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
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := kf.restConfig()
	if err != nil {
		return err
	}
	o.Namespace = kf.namespace
	ctrl.SetLogger(logrFor(log))
	log.Info("vmhost-kube controller", "namespace", o.Namespace, "leader_elect", o.LeaderElection,
		"node_lost_grace", o.NodeLostGrace.Round(time.Second))
	return controller.Run(ctx, cfg, o)
}
