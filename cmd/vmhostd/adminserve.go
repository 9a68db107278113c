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
	"vmhost/images"
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
	conns *connCount
}

// newLiveConfig starts with cfg. It takes SIGHUP over at once, so that a
// reload asked for while the daemon starts does not kill it.
func newLiveConfig(cfg *config.Config, log *slog.Logger) *liveConfig {
	l := &liveConfig{log: log, hup: make(chan os.Signal, 1), conns: newConnCount()}
	signal.Notify(l.hup, syscall.SIGHUP)
	l.cur.Store(cfg)
	l.keys.Store(sshgate.NewKeyStore(cfg.Users, cfg.SSH.TrustedUserCAKeys, log))
	return l
}

// Config implements admin.Daemon.
func (l *liveConfig) Config() *config.Config { return l.cur.Load() }

// Authorize implements sshgate.Users with the keys of the configuration in
// use.
func (l *liveConfig) Authorize(user string, key ssh.PublicKey, source netip.Addr) (sshgate.Grant, error) {
	return l.keys.Load().Authorize(user, key, source)
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
		l.mgr.SetPolicy(cfg)
		l.applyLimits()
	}
	res := admin.Reloaded{Config: cfg.Path, Restart: restartOnly(old, cfg)}
	l.log.Info("reloaded the configuration", "config", cfg.Path, "needs_restart", res.Restart)
	return res, nil
}

// applyLimits gives every running guest its limits under the configuration
// in use: its owner's, with its own over them.
func (l *liveConfig) applyLimits() {
	for _, in := range l.mgr.List() {
		if !in.Running {
			continue
		}
		own := config.Limits{}
		if in.Limits != nil {
			own = *in.Limits
		}
		if err := l.mgr.SetLimits(in.ID(), own); err != nil {
			l.log.Error("applying reloaded limits", "guest", in.ID(), "err", err)
		}
	}
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
	} {
		if !reflect.DeepEqual(k.old, k.new) {
			keys = append(keys, k.name)
		}
	}
	return keys
}

// connCount counts the SSH connections of each guest: an sshgate.Tracker
// and an admin.Sessions.
type connCount struct {
	mu sync.Mutex
	n  map[string]int
}

func newConnCount() *connCount { return &connCount{n: map[string]int{}} }

// Opened implements sshgate.Tracker.
func (c *connCount) Opened(owner, name string) {
	c.mu.Lock()
	c.n[guest.GuestID(owner, name)]++
	c.mu.Unlock()
}

// Closed implements sshgate.Tracker.
func (c *connCount) Closed(owner, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := guest.GuestID(owner, name)
	if c.n[id]--; c.n[id] <= 0 {
		delete(c.n, id)
	}
}

// Sessions implements admin.Sessions.
func (c *connCount) Sessions(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

// startAdmin serves the admin API on <run_dir>/vmhostd.sock, reloads on
// SIGHUP, starts the autostart guests and stops idle ones, until ctx ends
// or the returned function is called.
func startAdmin(ctx context.Context, live *liveConfig, mgr *guest.Manager, store *images.Store, log *slog.Logger) (func(), error) {
	live.mgr = mgr
	cfg := live.Config()
	ln, err := admin.Listen(filepath.Join(cfg.RunDir, admin.SocketName))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	srv := admin.New(admin.Options{Guests: mgr, Limits: mgr, Images: store, Daemon: live, Sessions: live.conns, Logger: log})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ctx, ln); err != nil {
			log.Error("admin API stopped", "err", err)
		}
	})
	wg.Go(func() { live.reloadOnHUP(ctx) })
	wg.Go(func() { admin.Autostart(ctx, mgr, func(o string) bool { return live.Config().AutostartFor(o) }, log) })
	wg.Go(func() { live.stopIdle(ctx, mgr) })
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
			l.Reload()
		}
	}
}

// stopIdle stops the guests idle for their owner's idle_stop until ctx ends.
func (l *liveConfig) stopIdle(ctx context.Context, mgr *guest.Manager) {
	s := admin.NewIdleStopper(admin.IdleOptions{
		Guests: mgr, Sessions: l.conns, Logger: l.log,
		IdleStopFor: func(owner string) time.Duration { return l.Config().IdleStopFor(owner) },
	})
	s.Run(ctx, func() time.Duration { return admin.CheckInterval(l.idleStops()) })
}

// idleStops lists idle_stop of the defaults and of every user.
func (l *liveConfig) idleStops() []time.Duration {
	cfg := l.Config()
	out := []time.Duration{time.Duration(cfg.Defaults.IdleStop)}
	for name := range cfg.Users {
		out = append(out, cfg.IdleStopFor(name))
	}
	return out
}
