package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "vmhost/kube/api/v1alpha1"

	"vmhost/kube/controller"
	"vmhost/kube/gateway"
	"vmhost/sshgate"
)

// gatewayFlags are the gateway role's settings.
type gatewayFlags struct {
	kubeFlags
	listen, hostKeys, usersSecret string
	files                         gateway.Files
	defaults                      gateway.GuestDefaults
	refresh                       time.Duration
}

// runGateway runs the gateway role: the same SSH server as vmhostd's, its
// users from a Secret, every login relayed to its guest's node.
func runGateway(ctx context.Context, args []string, log *slog.Logger) error {
	f, err := parseGatewayFlags(args)
	if err != nil {
		return err
	}
	cfg, err := f.restConfig()
	if err != nil {
		return err
	}
	scheme, err := controller.NewScheme()
	if err != nil {
		return err
	}
	c, err := gatewayClient(ctx, cfg, scheme, f.namespace)
	if err != nil {
		return err
	}
	users := &gateway.SecretUsers{Client: c, Namespace: f.namespace, Name: f.usersSecret, Log: log}
	if err := users.Refresh(ctx); err != nil {
		return err
	}
	go users.Run(ctx, f.refresh)
	creds, err := gateway.LoadCredentials(f.files)
	if err != nil {
		return err
	}
	relay, err := gateway.New(gateway.Options{Credentials: creds,
		Locator: &gateway.KubeLocator{Client: c, Namespace: f.namespace, Defaults: f.defaults}})
	if err != nil {
		return err
	}
	srv, err := sshgate.New(sshgate.Options{HostKeyDir: f.hostKeys, Users: users, Relay: relay, Logger: log,
		KeepaliveInterval: 15 * time.Second})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening for SSH: %w", err)
	}
	log.Info("vmhost-kube gateway", "listen", ln.Addr().String(), "namespace", f.namespace, "users", f.usersSecret)
	return srv.Serve(ctx, ln)
}

// gatewayClient is the gateway's API client: Guests are read from a
// cache the API server keeps up to date by a watch, so that a login costs
// the API server nothing but its writes (making or starting a Guest);
// the users' Secret is read directly, as the gateway may read that one
// Secret and no other.
func gatewayClient(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, ns string) (client.Client, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		return nil, fmt.Errorf("making the Guests' cache: %w", err)
	}
	if _, err := c.GetInformer(ctx, &v1alpha1.Guest{}); err != nil {
		return nil, fmt.Errorf("watching the Guests: %w", err)
	}
	go c.Start(ctx)
	if !c.WaitForCacheSync(ctx) {
		return nil, errors.New("the Guests' cache did not fill")
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme,
		Cache: &client.CacheOptions{Reader: c, DisableFor: []client.Object{&corev1.Secret{}}}})
	if err != nil {
		return nil, fmt.Errorf("making the API client: %w", err)
	}
	return cl, nil
}

// parseGatewayFlags reads the gateway's command line.
func parseGatewayFlags(args []string) (gatewayFlags, error) {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	var f gatewayFlags
	f.add(fs)
	fs.StringVar(&f.listen, "listen", ":2222", "where SSH is served")
	fs.StringVar(&f.hostKeys, "host-keys", "/etc/vmhost/gateway/host-keys", "the SSH host keys' directory, the same for every replica (made when missing)")
	fs.StringVar(&f.usersSecret, "users-secret", "vmhost-users", "the Secret of the users: each key a user name, its value their authorized_keys")
	fs.DurationVar(&f.refresh, "users-refresh", 10*time.Second, "how often the users' Secret is read again")
	fs.StringVar(&f.files.CA, "ca", "/etc/vmhost/cluster/ca.crt", "the cluster CA (PEM) that signs the agents' certificates")
	fs.StringVar(&f.files.Cert, "cert", "/etc/vmhost/cluster/tls.crt", "the gateway's client certificate (PEM, CommonName vmhost-gateway)")
	fs.StringVar(&f.files.Key, "key", "/etc/vmhost/cluster/tls.key", "its key")
	fs.StringVar(&f.files.UserCAKey, "user-ca-key", "/etc/vmhost/cluster/user-ca", "the SSH user CA private key the gateway signs logins to agents with")
	fs.StringVar(&f.defaults.Image, "default-image", "", "the image of a guest made at a user's first login; empty: the nodes' default")
	fs.StringVar(&f.defaults.CPUs, "default-cpus", "1", "its CPUs (and its pod's request)")
	fs.StringVar(&f.defaults.Memory, "default-memory", "512Mi", "its memory (and its pod's request)")
	fs.StringVar(&f.defaults.Storage, "default-storage", "local", "local or volume")
	fs.StringVar(&f.defaults.Claim, "default-claim", "vmhost-%s", "a volume guest's PersistentVolumeClaim; %s is the owner")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if err := f.defaults.Check(); err != nil {
		return f, errors.New("-default-*: " + err.Error())
	}
	return f, nil
}
