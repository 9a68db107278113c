package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/view"
)

// startView starts the guests' view servers as guests.view says: lxcfs,
// when the host has it, and the daemon's own /proc/stat server, both on
// FUSE. Without FUSE, or with neither server, it returns nil and says once
// that guests see the host's numbers.
func startView(cfg *config.Config, log *slog.Logger) *view.Set {
	if cfg.Guests.View == config.ViewNone {
		log.Info("guests see the host's memory and CPUs in /proc (guests.view: none)")
		return nil
	}
	if err := hasFUSE(); err != nil {
		log.Warn("guests see the host's memory and CPUs in /proc: "+err.Error(), "guests.view", cfg.Guests.View)
		return nil
	}
	dir := filepath.Join(cfg.RunDir, "view")
	var lxcfs *view.Server
	if bin, err := exec.LookPath("lxcfs"); err != nil {
		log.Warn("guests see the host's memory and CPUs in /proc/meminfo and /proc/cpuinfo: lxcfs is not installed (apt-get install lxcfs fuse3, or make deps)", "guests.view", cfg.Guests.View)
	} else {
		lxcfs = startServer(view.Options{Kind: view.LXCFS, Binary: bin, Dir: dir, Log: log})
	}
	var stat *view.Server
	if self, err := os.Executable(); err != nil {
		log.Warn("guests see the host's /proc/stat: finding the daemon's binary", "err", err)
	} else {
		stat = startServer(view.Options{Kind: view.StatKind("/" + cgroupParent(cfg)), Binary: self, Dir: dir, Log: log})
	}
	set := view.NewSet(lxcfs, stat)
	if set.Empty() {
		return nil
	}
	return set
}

// startServer starts one view server; nil when it cannot.
func startServer(opts view.Options) *view.Server {
	srv, err := view.Start(opts)
	if err != nil {
		opts.Log.Warn("guests see the host's numbers in /proc", "server", opts.Kind.Name(), "err", err)
		return nil
	}
	return srv
}

// hasFUSE says what the host lacks to run FUSE servers, if anything.
func hasFUSE() error {
	st, err := os.Stat("/dev/fuse")
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return fmt.Errorf("the host has no /dev/fuse (modprobe fuse)")
	}
	return nil
}

// guestView is what guests get of the view servers: nil for none.
func guestView(set *view.Set) guest.View {
	if set == nil {
		return nil
	}
	return set
}

// superviseView has the view servers give running guests new view files
// whenever one starts again.
func superviseView(set *view.Set, mgr *guest.Manager) {
	if set != nil {
		set.Supervise(mgr.RefreshViews)
	}
}

// stopView ends the daemon's supervision of the view servers. They are
// stopped only when no guest runs: running guests keep their view, and the
// next daemon adopts the servers.
func stopView(set *view.Set, mgr *guest.Manager, log *slog.Logger) {
	if set == nil {
		return
	}
	running := 0
	if mgr != nil {
		for _, in := range mgr.List() {
			if in.Running {
				running++
			}
		}
	}
	if err := set.Close(running == 0); err != nil {
		log.Warn("stopping the view servers", "err", err)
	}
	if running > 0 {
		log.Info("view servers left running for the guests that run", "guests", running)
	}
}
