package labs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"vmhost/config"
)

// SetupTimeout bounds one run of a class's setup script: a guest's first
// login waits for it.
const SetupTimeout = 10 * time.Minute

// Setup runs the setup script of a student's class in each of their guests
// made or reset, once, right after its first start.
type Setup struct {
	cfg     func() *config.Config
	store   *Store
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration
}

// NewSetup returns the setup runner of the configuration cfg returns,
// recording results in store.
func NewSetup(cfg func() *config.Config, store *Store, log *slog.Logger) *Setup {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Setup{cfg: cfg, store: store, log: log, now: time.Now, timeout: SetupTimeout}
}

// Run runs, in owner's guest name (just started from its image) through
// spawn, the setup script of owner's class, as root, with VMHOST_CLASS,
// VMHOST_STUDENT and VMHOST_HOST set and its output appended to the
// guest's /var/log/vmhost-boot.log; it records how it went. A guest that
// is no student's class host has no setup. It returns once the script
// ended, or after SetupTimeout.
func (s *Setup) Run(ctx context.Context, owner, name string, spawn SpawnFunc) {
	cl, ok := s.cfg().Class(owner)
	if !ok || cl.Setup == "" || !isClassHost(*cl, owner, name) {
		return
	}
	id := guestID(owner, name)
	started := s.now().UTC()
	s.save(cl.Name, id, SetupResult{Result: SetupRunning, ExitCode: -1, Started: started})
	script, err := config.ReadScript(cl.Setup)
	var o outcome
	if err != nil {
		o = outcome{code: -1, err: fmt.Errorf("reading the setup script: %w", err)}
	} else {
		o = runJob(context.WithoutCancel(ctx), spawn, job{
			script: setupScript, stdin: script, limit: 4096, timeout: s.timeout,
			env: []string{"VMHOST_CLASS=" + cl.Name, "VMHOST_STUDENT=" + owner, "VMHOST_HOST=" + name},
		})
	}
	r := SetupResult{Result: SetupOK, ExitCode: o.code, Started: started, Finished: s.now().UTC()}
	if o.err != nil || o.code != 0 {
		r.Result, r.Error = SetupFailed, setupError(o)
	}
	s.save(cl.Name, id, r)
	s.log.Info("lab setup", "class", cl.Name, "guest", id, "result", r.Result, "exit_code", r.ExitCode, "err", r.Error,
		"took", r.Finished.Sub(started).Round(time.Millisecond))
}

// setupError says why a setup failed.
func setupError(o outcome) string {
	if o.err != nil {
		return o.err.Error()
	}
	return fmt.Sprintf("exited with %d; its output is in the guest's /var/log/vmhost-boot.log", o.code)
}

// save records r, logging a failure to.
func (s *Setup) save(class, id string, r SetupResult) {
	if err := s.store.SaveSetup(class, id, r); err != nil {
		s.log.Error("recording a lab setup", "class", class, "guest", id, "err", err)
	}
}

// isClassHost reports whether owner's guest name is one of their class's
// hosts (their own name for a class without hosts).
func isClassHost(cl config.Class, owner, name string) bool {
	if len(cl.Hosts) == 0 {
		return name == owner
	}
	_, ok := cl.Hosts.Lookup(name)
	return ok
}
