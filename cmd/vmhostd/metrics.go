package main

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"vmhost/config"
	"vmhost/guest"
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
}

// Guests implements metrics.Source.
func (s metricsSource) Guests() []metrics.Guest {
	infos := s.mgr.List()
	out := make([]metrics.Guest, len(infos))
	for i, in := range infos {
		g := metrics.Guest{ID: in.ID(), Owner: in.Owner, State: in.Status, Running: in.Running}
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
	counts *metrics.Daemon
	srv    *metrics.Server
	log    *slog.Logger
}

// newDaemonMetrics makes the daemon's counters; nothing is served before
// serve.
func newDaemonMetrics(log *slog.Logger) *daemonMetrics {
	return &daemonMetrics{counts: metrics.NewDaemon(), log: log}
}

// serve starts the endpoint of cfg's metrics: section, reading src's
// guests and ssh's state at each scrape. A token file that cannot be read
// is an error: the daemon does not start.
func (m *daemonMetrics) serve(cfg *config.Config, src metrics.Source, ssh metrics.SSHState) error {
	c := metrics.NewCollector(src, m.counts, ssh, metrics.DefaultSysNet)
	m.srv = metrics.NewServer(metrics.NewRegistry(c, m.counts), m.log)
	if err := m.srv.Apply(metricsSettings(cfg)); err != nil {
		return fmt.Errorf("serving metrics (metrics: in %s): %w", cfg.Path, err)
	}
	return nil
}

// reload applies the metrics: section of a reloaded configuration; on an
// error the endpoint keeps its settings.
func (m *daemonMetrics) reload(cfg *config.Config) {
	if m.srv == nil {
		return
	}
	if err := m.srv.Apply(metricsSettings(cfg)); err != nil {
		m.log.Error("reloading metrics: the settings in use are kept", "err", err)
	}
}

// close stops serving.
func (m *daemonMetrics) close() {
	if m.srv != nil {
		m.srv.Close()
	}
}

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
