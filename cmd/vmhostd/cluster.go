package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/admin"
	"vmhost/cluster"
	"vmhost/config"
	"vmhost/guest"
	"vmhost/netplumb"
	"vmhost/sshgate"
)

// clusterAgent is the daemon's agent role on a node of a cluster: the
// guests assigned to the node, and the SSH server that gateways reach over
// mutually authenticated TLS on cluster.listen. Nil without cluster.listen.
type clusterAgent struct {
	store *cluster.Store
	tls   *cluster.ServerTLS
	live  *liveConfig
	log   *slog.Logger
}

// newClusterAgent opens the assignments under data_dir/cluster and reads
// the TLS files; nil, nil when the configuration has no cluster role.
func newClusterAgent(cfg *config.Config, live *liveConfig, log *slog.Logger) (*clusterAgent, error) {
	if !cfg.Cluster.Enabled() {
		return nil, nil
	}
	store, err := cluster.Open(filepath.Join(cfg.DataDir, "cluster"))
	if err != nil {
		return nil, err
	}
	tlsFiles, err := cluster.NewServerTLS(cfg.Cluster)
	if err != nil {
		return nil, err
	}
	if err := cluster.CheckUserCA(cfg.Cluster.UserCA); err != nil {
		return nil, err
	}
	a := &clusterAgent{store: store, tls: tlsFiles, live: live, log: log}
	live.policy = a.policy
	next := live.onReload
	live.onReload = func(c *config.Config) {
		a.reload(c)
		if next != nil {
			next(c)
		}
	}
	log.Info("cluster agent role", "listen", cfg.Cluster.Listen, "assigned", len(store.List()))
	return a, nil
}

// policy is the guest policy of cfg: assigned guests get their
// assignments' images and limits.
func (a *clusterAgent) policy(cfg *config.Config) guest.Policy {
	if a == nil {
		return cfg
	}
	return cluster.NewPolicy(cfg, a.store)
}

// reload reads the TLS files of a reloaded configuration; on an error the
// ones in use are kept.
func (a *clusterAgent) reload(cfg *config.Config) {
	if !cfg.Cluster.Enabled() {
		return
	}
	if err := a.tls.Reload(cfg.Cluster); err != nil {
		a.log.Error("reloading the cluster TLS files: the ones in use are kept", "err", err)
		return
	}
	a.log.Info("reloaded the cluster TLS files")
}

// node returns the assignments as the admin API serves them; nil without
// the role. Changed limits apply to running guests at once.
func (a *clusterAgent) node(mgr *guest.Manager) admin.Cluster {
	if a == nil {
		return nil
	}
	return &cluster.Node{
		Store: a.store, Config: a.live.Config, Host: config.LocalHost(),
		Changed: func(cluster.Assignment) { mgr.SetPolicy(a.policy(a.live.Config())) },
		IPv6:    func(ip netip.Addr) netip.Addr { return guestIPv6(a.live.Config(), ip) },
		Open: func(ctx context.Context, owner, name string) error {
			_, err := mgr.Open(ctx, owner, name)
			return err
		},
	}
}

// guestIPv6 returns the IPv6 address of the guest at ip under cfg's
// network; invalid without IPv6.
func guestIPv6(cfg *config.Config, ip netip.Addr) netip.Addr {
	subnet, err := netip.ParsePrefix(cfg.Network.Subnet)
	p6 := cfg.Subnet6Prefix()
	if err != nil || !p6.IsValid() {
		return netip.Addr{}
	}
	return netplumb.Address6(subnet, p6, ip)
}

// serve listens on cluster.listen and serves opts's SSH server there, with
// only the gateways' certificates admitted and only assigned guests
// reached, until ctx ends or the returned function is called, which waits
// for the server to end.
func (a *clusterAgent) serve(ctx context.Context, opts sshgate.Options, mgr *guest.Manager) (func(), error) {
	if a == nil {
		return func() {}, nil
	}
	opts.Users = clusterUsers{a.live}
	opts.Logins = clusterLogins{a.store, a.live}
	opts.Guests = assignedGuests{managerGuests{mgr}, a.store}
	// The tracker stays: a guest in use through a gateway is not idle.
	opts.GuestKeys, opts.Labs, opts.Web = nil, nil, nil
	opts.Mosh = sshgate.MoshOptions{}
	// Every login comes from a few gateways, each the address of many
	// users: a failure there is a gateway's bug, not a guess to slow down.
	opts.Penalty = sshgate.PenaltyOptions{Disabled: true}
	srv, err := sshgate.New(opts)
	if err != nil {
		return nil, err
	}
	addr := a.live.Config().Cluster.Listen
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on cluster.listen %s: %w", addr, err)
	}
	ln := cluster.Listen(tcp, a.tls.Config(), cluster.NewRefusalLog(a.log).Refused)
	a.log.Info("cluster listener for gateways", "addr", tcp.Addr().String())
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ctx, ln); err != nil {
			a.log.Error("cluster listener stopped", "err", err)
		}
	})
	return func() { cancel(); wg.Wait() }, nil
}

// clusterUsers admits, on the cluster listener, the user certificates of
// cluster.user_ca (read at each login) whose principal is the owner.
type clusterUsers struct{ live *liveConfig }

// Authorize implements sshgate.Users.
func (u clusterUsers) Authorize(user string, key ssh.PublicKey, source netip.Addr) (sshgate.Grant, error) {
	return sshgate.NewCertUsers(u.live.Config().Cluster.UserCA, u.live.log).Authorize(user, key, source)
}

// clusterLogins lets a login over the cluster listener reach only a guest
// assigned to this node, within its owner's login window if the
// configuration has one.
type clusterLogins struct {
	store *cluster.Store
	live  *liveConfig
}

// GuestFor implements sshgate.Logins.
func (l clusterLogins) GuestFor(owner, name string) (string, error) {
	if err := checkAssigned(l.store, owner, name); err != nil {
		return "", err
	}
	return name, nil
}

// LoginWindow implements sshgate.Logins.
func (l clusterLogins) LoginWindow(owner string, now time.Time) error {
	return l.live.LoginWindow(owner, now)
}

// assignedGuests opens only guests assigned to this node.
type assignedGuests struct {
	guests sshgate.Guests
	store  *cluster.Store
}

// Open implements sshgate.Guests.
func (g assignedGuests) Open(ctx context.Context, owner, name string) (sshgate.Guest, error) {
	if err := checkAssigned(g.store, owner, name); err != nil {
		return nil, err
	}
	return g.guests.Open(ctx, owner, name)
}

// checkAssigned refuses a guest not assigned to this node, with what the
// user is shown.
func checkAssigned(store *cluster.Store, owner, name string) error {
	if _, ok := store.Get(owner, name); ok {
		return nil
	}
	if name == owner {
		return fmt.Errorf("%s's guest is not on this node (not assigned here); try again in a moment, as it may be moving", owner)
	}
	return fmt.Errorf("%s's guest %s is not on this node (not assigned here); try again in a moment, as it may be moving", owner, name)
}
