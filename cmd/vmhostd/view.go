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

// startView starts the guests' view server as guests.view says: lxcfs,
// when the host has it and FUSE. Without them it returns nil and says once
// that guests see the host's numbers.
func startView(cfg *config.Config, log *slog.Logger) *view.Server {
	if cfg.Guests.View == config.ViewNone {
		log.Info("guests see the host's memory and CPUs in /proc (guests.view: none)")
		return nil
	}
	bin, err := viewNeeds()
	if err != nil {
		log.Warn("guests see the host's memory and CPUs in /proc: "+err.Error(), "guests.view", cfg.Guests.View)
		return nil
	}
	srv, err := view.Start(view.Options{Binary: bin, Dir: filepath.Join(cfg.RunDir, "view"), Log: log})
	if err != nil {
		log.Warn("guests see the host's memory and CPUs in /proc", "err", err)
		return nil
	}
	return srv
}

// viewNeeds returns the lxcfs binary, or what the host lacks to run it.
func viewNeeds() (string, error) {
	bin, err := exec.LookPath("lxcfs")
	if err != nil {
		return "", fmt.Errorf("lxcfs is not installed (apt-get install lxcfs fuse3, or make deps)")
	}
	st, err := os.Stat("/dev/fuse")
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return "", fmt.Errorf("the host has no /dev/fuse (modprobe fuse)")
	}
	return bin, nil
}

// guestView is what guests get of the view server: nil for none.
func guestView(srv *view.Server) guest.View {
	if srv == nil {
		return nil
	}
	return srv
}

// superviseView has the view server give running guests new view files
// whenever it starts again.
func superviseView(srv *view.Server, mgr *guest.Manager) {
	if srv != nil {
		srv.Supervise(mgr.RefreshViews)
	}
}

// stopView ends the daemon's supervision of the view server. lxcfs itself
// is stopped only when no guest runs: running guests keep their view, and
// the next daemon adopts it.
func stopView(srv *view.Server, mgr *guest.Manager, log *slog.Logger) {
	if srv == nil {
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
	if err := srv.Close(running == 0); err != nil {
		log.Warn("stopping the view server", "err", err)
	}
	if running > 0 {
		log.Info("view server left running for the guests that run", "guests", running)
	}
}
