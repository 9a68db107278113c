package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/images"
	"vmhost/limits"
	"vmhost/metrics"
	"vmhost/netplumb"
)

// metricsSource lists the daemon's guests for a scrape: from the manager's
// list (which takes no lock a guest's start holds), with the cgroup
// directories and host veth names computed, not looked up.
type metricsSource struct {
	mgr     *guest.Manager
	cgroups *limits.Controller
	storage guestStorage
	bridge  string
	// config is the configuration in use, for the owners' classes.
	config func() *config.Config
}

// classes maps every student of the configuration in use to their class.
func (s metricsSource) classes() map[string]string {
	out := make(map[string]string)
	if s.config == nil {
		return out
	}
	for name, cl := range s.config().Classes {
		for _, m := range cl.Members {
			out[m] = name
		}
	}
	return out
}

// Guests implements metrics.Source.
func (s metricsSource) Guests() []metrics.Guest {
	infos := s.mgr.List()
	out := make([]metrics.Guest, len(infos))
	classOf := s.classes()
	for i, in := range infos {
		g := metrics.Guest{ID: in.ID(), Owner: in.Owner, Class: classOf[in.Owner], State: in.Status, Running: in.Running}
		if in.Running {
			g.Started = metrics.StartTime(in.InitStart)
			g.Veth = netplumb.HostVeth(s.bridge, g.ID)
			if grp, err := s.cgroups.Open(g.ID); err == nil {
				g.CgroupDirs = grp.Dirs()
			}
		}
		out[i] = g
	}
	return out
}

// Disk implements metrics.Source.
func (s metricsSource) Disk(id string) (metrics.Disk, bool) {
	if s.storage.s == nil || !s.storage.Has(id) {
		return metrics.Disk{}, false
	}
	u, err := s.storage.Usage(id)
	if err != nil {
		return metrics.Disk{}, false
	}
	return metrics.Disk{UsedBytes: u.Bytes, LimitBytes: u.LimitBytes}, true
}

// daemonMetrics are the daemon's metrics: its counters, moved by the SSH
// server and image builds, and the endpoint that serves them with every
// guest's numbers.
type daemonMetrics struct {
	counts    *metrics.Daemon
	collector *metrics.Collector
	srv       *metrics.Server
	log       *slog.Logger
}

// startMetrics makes the daemon's counters and serves them as cfg's
// metrics: section says, the guests' series once attach is called. It
// runs first, so that a token file that cannot be read, or an address in
// use, stops the daemon before it has made anything.
func startMetrics(cfg *config.Config, log *slog.Logger) (*daemonMetrics, error) {
	m := &daemonMetrics{counts: metrics.NewDaemon(), log: log}
	m.collector = metrics.NewCollector(m.counts, metrics.DefaultNetDev)
	m.srv = metrics.NewServer(metrics.NewRegistry(m.collector, m.counts), log)
	if err := m.srv.Apply(metricsSettings(cfg)); err != nil {
		return nil, fmt.Errorf("serving metrics (metrics: in %s): %w", cfg.Path, err)
	}
	return m, nil
}

// attach makes the scrapes read src's guests and ssh's state.
func (m *daemonMetrics) attach(src metrics.Source, ssh metrics.SSHState) {
	m.collector.Attach(src, ssh)
}

// reload applies the metrics: section of a reloaded configuration; on an
// error the endpoint keeps its settings.
func (m *daemonMetrics) reload(cfg *config.Config) {
	if err := m.srv.Apply(metricsSettings(cfg)); err != nil {
		m.log.Error("reloading metrics: the settings in use are kept", "err", err)
	}
}

// close stops serving.
func (m *daemonMetrics) close() { m.srv.Close() }

// metricsSettings are the endpoint settings of cfg.
func metricsSettings(cfg *config.Config) metrics.Settings {
	return metrics.Settings{Listen: cfg.Metrics.Listen, TokenFile: cfg.Metrics.TokenFile}
}

// buildWatch tells whether an image was built: a build writes progress,
// an image already built writes none.
type buildWatch struct {
	start time.Time
	wrote atomic.Bool
}

// Write implements io.Writer.
func (b *buildWatch) Write(p []byte) (int, error) {
	b.wrote.Store(true)
	return len(p), nil
}

// count tells built of the build, if there was one; err is its outcome.
func (b *buildWatch) count(built func(time.Duration, bool), err error) {
	if built != nil && b.wrote.Load() {
		built(time.Since(b.start), err != nil)
	}
}

// reopenAudit opens the audit log's file again, for logrotate.
func reopenAudit(audit *auditFile, log *slog.Logger) {
	if err := audit.Reopen(); err != nil {
		log.Error("reopening the audit log: the file in use is kept", "err", err)
	}
}

// countedImages is the image store as the admin API uses it, with each
// build it runs counted, as those a guest's first start runs are.
type countedImages struct {
	*images.Store
	built func(time.Duration, bool)
}

// Ensure implements admin.Images.
func (c countedImages) Ensure(ctx context.Context, name string, spec config.Image, progress io.Writer) (images.Image, error) {
	build := &buildWatch{start: time.Now()}
	img, err := c.Store.Ensure(ctx, name, spec, io.MultiWriter(progress, build))
	build.count(c.built, err)
	return img, err
}

// Rebuild implements admin.Images.
func (c countedImages) Rebuild(ctx context.Context, name string, spec config.Image, progress io.Writer) (images.Image, error) {
	build := &buildWatch{start: time.Now()}
	img, err := c.Store.Rebuild(ctx, name, spec, io.MultiWriter(progress, build))
	build.count(c.built, err)
	return img, err
}
