package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"vmhost/admin"
	"vmhost/kube/agentcert"
)

// certFlags are the agent's flags for its node's serving certificate.
type certFlags struct {
	dir      string
	validity time.Duration
	timeout  time.Duration
}

// add registers f on fs.
func (f *certFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "cert-dir", "", "where vmhostd's serving certificate for this node (tls.crt, tls.key) is kept, obtained from the controller and renewed; empty: made by hand")
	fs.DurationVar(&f.validity, "cert-validity", agentcert.DefaultValidity, "the life the certificate is asked for")
	fs.DurationVar(&f.timeout, "cert-timeout", 5*time.Minute, "how long to wait for the controller to sign it")
}

// certClient is a client of the API server for certificate requests.
func certClient(cfg *rest.Config) (client.Client, error) {
	return client.New(cfg, client.Options{Scheme: scheme.Scheme})
}

// ensure obtains the node's certificate in f.dir through c unless one is
// there and not due for renewal; it reports whether it obtained one.
func (f *certFlags) ensure(ctx context.Context, c client.Client, node string, log *slog.Logger) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	cert, got, err := agentcert.Ensure(ctx, c, node, f.dir, f.validity, time.Now())
	if err != nil {
		return false, fmt.Errorf("obtaining the certificate of node %s: %w", node, err)
	}
	log.Info("node certificate", "node", node, "dir", f.dir, "obtained", got, "not_after", cert.NotAfter, "renew_at", agentcert.RenewAt(cert))
	return got, nil
}

// keepRenewed renews the certificate through c until ctx ends, and has
// vmhostd read it again after each renewal.
func (f *certFlags) keepRenewed(ctx context.Context, c client.Client, node string, vmhostd *admin.Client, log *slog.Logger) error {
	return agentcert.KeepRenewed(ctx, c, node, f.dir, f.validity,
		func() { reloadVmhostd(ctx, vmhostd, log) },
		func(err error) { log.Error("renewing the node certificate; trying again in a minute", "err", err) })
}

// reloadVmhostd has vmhostd read its configuration and TLS files again; a
// vmhostd not running yet reads them when it starts.
func reloadVmhostd(ctx context.Context, vmhostd *admin.Client, log *slog.Logger) {
	if _, err := vmhostd.Reload(ctx); err != nil {
		log.Warn("vmhostd did not reload its new certificate (it reads it when it starts)", "err", err)
		return
	}
	log.Info("vmhostd reloaded its certificate")
}

// runAgentCert is the agent-cert role: the node's certificate obtained
// once (an init container's work, before vmhostd starts), then exit.
func runAgentCert(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("agent-cert", flag.ContinueOnError)
	var kf kubeFlags
	kf.add(fs)
	var cf certFlags
	cf.add(fs)
	node := fs.String("node", envOr("NODE_NAME", ""), "this node's name (NODE_NAME from the downward API)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *node == "" || cf.dir == "" {
		return errors.New("-node (or NODE_NAME) and -cert-dir are required")
	}
	cfg, err := kf.restConfig()
	if err != nil {
		return err
	}
	c, err := certClient(cfg)
	if err != nil {
		return err
	}
	_, err = cf.ensure(ctx, c, *node, log)
	return err
}
