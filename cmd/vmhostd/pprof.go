package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
)

// pprofEnv names the environment variable that, set to a loopback address
// such as 127.0.0.1:6060, serves Go's profiles of the daemon there: how
// vmhost's login and create paths are profiled (see bench/).
const pprofEnv = "VMHOST_PPROF"

// startPprof serves the profiles when pprofEnv asks for it.
func startPprof(log *slog.Logger) {
	addr := os.Getenv(pprofEnv)
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Warn("serving Go profiles; do not expose this address", "addr", addr, "env", pprofEnv)
	go func() {
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Error("serving Go profiles", "addr", addr, "err", err)
		}
	}()
}
