package main

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/admin"
	"vmhost/config"
	"vmhost/guest"
	"vmhost/sshgate"
)

// liveConfig is the configuration a daemon runs with, replaced by a reload
// (SIGHUP or vmhostd reload): users, their keys, images, defaults and
// limits change at once; running sessions go on.
type liveConfig struct {
	log   *slog.Logger
	hup   chan os.Signal
	cur   atomic.Pointer[config.Config]
	keys  atomic.Pointer[sshgate.KeyStore]
	mu    sync.Mutex // serializes reloads
	mgr   *guest.Manager
	conns *guest.Connections
	// reloaded, when set, follows each reload that took (the lab
	// segments drop what the new configuration no longer has).
	reloaded func(*config.Config)
	// onReload is told of every configuration a reload applies, onHUP of
	// every SIGHUP (before its reload); either may be nil.
	onReload func(*config.Config)
	onHUP    func()
	// policy, when set, makes the guest policy of a configuration (the
	// cluster role's, with assignments); nil: the configuration itself.
	policy func(*config.Config) guest.Policy
	// cluster, when set, serves the cluster role's assignments.
	cluster admin.Cluster
}

// newLiveConfig starts with cfg. It takes SIGHUP over at once, so that a
// reload asked for while the daemon starts does not kill it.
func newLiveConfig(cfg *config.Config, log *slog.Logger) *liveConfig {
	l := &liveConfig{log: log, hup: make(chan os.Signal, 1), conns: guest.NewConnections()}
	signal.Notify(l.hup, syscall.SIGHUP)
	l.cur.Store(cfg)
	l.keys.Store(sshgate.NewKeyStore(cfg.Users, cfg.SSH.TrustedUserCAKeys, log))
	return l
}

// Config implements admin.Daemon.
func (l *liveConfig) Config() *config.Config { return l.cur.Load() }

// Authorize implements sshgate.Users with the keys of the configuration in
// use: the user's own, and for a student those of the class's teachers,
// whose grant names the teacher as its actor.
func (l *liveConfig) Authorize(user string, key ssh.PublicKey, source netip.Addr) (sshgate.Grant, error) {
	return sshgate.WithTeachers(l.keys.Load(), l.Config().TeachersOf).Authorize(user, key, source)
}

// GuestFor implements sshgate.Logins with the configuration in use.
func (l *liveConfig) GuestFor(owner, guest string) (string, error) {
	return l.Config().GuestFor(owner, guest)
}

// LoginWindow implements sshgate.Logins with the configuration in use.
func (l *liveConfig) LoginWindow(owner string, now time.Time) error {
	return l.Config().LoginWindow(owner, now)
}

// policyOf returns the guest policy of cfg.
func (l *liveConfig) policyOf(cfg *config.Config) guest.Policy {
	if l.policy == nil {
		return cfg
	}
	return l.policy(cfg)
}

// Reload implements admin.Daemon: it reads the file again and applies it; a
// file with an error is refused and the configuration in use is kept.
func (l *liveConfig) Reload() (admin.Reloaded, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.Config()
	cfg, err := config.Load(old.Path)
	if err != nil {
		l.log.Error("reloading the configuration: refused, the one in use is kept", "err", err)
		return admin.Reloaded{}, err
	}
	l.keys.Store(sshgate.NewKeyStore(cfg.Users, cfg.SSH.TrustedUserCAKeys, l.log))
	l.cur.Store(cfg)
	if l.mgr != nil {
		l.mgr.SetPolicy(l.policyOf(cfg))
	}
	if l.reloaded != nil {
		l.reloaded(cfg)
	}
	if l.onReload != nil {
		l.onReload(cfg)
	}
	res := admin.Reloaded{Config: cfg.Path, Restart: restartOnly(old, cfg)}
	l.log.Info("reloaded the configuration", "config", cfg.Path, "needs_restart", res.Restart)
	return res, nil
}

// restartOnly lists the settings that changed from old to cfg but are read
// only when the daemon starts.
func restartOnly(old, cfg *config.Config) []string {
	var keys []string
	for _, k := range []struct {
		name     string
		old, new any
	}{
		{"listen", old.Listen, cfg.Listen},
		{"data_dir", old.DataDir, cfg.DataDir},
		{"run_dir", old.RunDir, cfg.RunDir},
		{"network", old.Network, cfg.Network},
		{"ssh", old.SSH, cfg.SSH},
		{"guests", old.Guests, cfg.Guests},
		{"audit_log", old.AuditLog, cfg.AuditLog},
		{"web", old.Web, cfg.Web},
		{"cluster.listen", old.Cluster.Listen, cfg.Cluster.Listen},
	} {
		if !reflect.DeepEqual(k.old, k.new) {
			keys = append(keys, k.name)
		}
	}
	return keys
}

// startAdmin serves the admin API on <run_dir>/vmhostd.sock, reloads on
// SIGHUP, starts the autostart guests and stops idle ones, until ctx ends
// or the returned function is called.
func startAdmin(ctx context.Context, live *liveConfig, mgr *guest.Manager, store admin.Images, kept admin.KeptSessions, lab admin.Labs, webs admin.WebSessions, log *slog.Logger) (func(), error) {
	live.mgr = mgr
	cfg := live.Config()
	ln, err := admin.Listen(filepath.Join(cfg.RunDir, admin.SocketName))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	srv := admin.New(admin.Options{Guests: mgr, Limits: mgr, Images: store, Daemon: live, Sessions: live.conns, Kept: kept, Labs: lab, Web: webs, Cluster: live.cluster, Logger: log})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ctx, ln); err != nil {
			log.Error("admin API stopped", "err", err)
		}
	})
	wg.Go(func() { live.reloadOnHUP(ctx) })
	wg.Go(func() { mgr.Autostart(ctx) })
	wg.Go(func() { mgr.NewIdleStopper(guest.IdleOptions{Sessions: live.conns}).Run(ctx) })
	log.Info("admin API listening", "socket", ln.Addr().String())
	return func() { cancel(); wg.Wait() }, nil
}

// reloadOnHUP reloads the configuration at every SIGHUP until ctx ends.
func (l *liveConfig) reloadOnHUP(ctx context.Context) {
	defer signal.Stop(l.hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.hup:
			l.log.Info("SIGHUP: reloading the configuration")
			if l.onHUP != nil {
				l.onHUP()
			}
			l.Reload()
		}
	}
}
