package main

import (
	"log/slog"
	"path/filepath"
	"sort"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/netplumb"
)

// labNetDir is where the lab segments' network namespace is mounted:
// <run_dir>/labnet/ns.
func labNetDir(cfg *config.Config) string { return filepath.Join(cfg.RunDir, "labnet") }

// startLabNet returns the private L2 segments of the classes' students,
// with those of students and classes no longer in cfg removed.
func startLabNet(cfg *config.Config, log *slog.Logger) *netplumb.LabNet {
	l := netplumb.NewLabNet(labNetDir(cfg), log)
	pruneLabNet(l, cfg, log)
	return l
}

// pruneLabNet removes the segments, and guests' places on them, that cfg
// no longer has; it logs what fails, which the next start or reload tries
// again.
func pruneLabNet(l *netplumb.LabNet, cfg *config.Config, log *slog.Logger) {
	if err := l.Prune(labPorts(cfg)); err != nil {
		log.Error("removing lab segments no longer in the configuration", "err", err)
	}
}

// labPorts lists the place of every class host of every student on each of
// its segments.
func labPorts(cfg *config.Config) []netplumb.LabPort {
	names := make([]string, 0, len(cfg.Classes))
	for name := range cfg.Classes {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []netplumb.LabPort
	for _, name := range names {
		cl := cfg.Classes[name]
		for _, s := range cl.Members {
			for _, h := range cl.Hosts {
				for _, l := range cfg.LinksOf(s, h.Name) {
					out = append(out, netplumb.LabPort{Segment: l.Segment, Guest: guest.GuestID(s, h.Name)})
				}
			}
		}
	}
	return out
}

// labLinks adapts *netplumb.LabNet to guest.Links.
type labLinks struct{ l *netplumb.LabNet }

// Attach implements guest.Links.
func (a labLinks) Attach(id string, links []config.LabLink, nsPath string) error {
	out := make([]netplumb.LabLink, len(links))
	for i, l := range links {
		out[i] = netplumb.LabLink{Segment: l.Segment, Iface: l.Iface}
	}
	return a.l.Attach(id, out, nsPath)
}
