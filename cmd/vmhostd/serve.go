package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/config"
	"vmhost/fdbudget"
	"vmhost/guest"
	"vmhost/images"
	"vmhost/labs"
	"vmhost/reserve"
	"vmhost/sshgate"
)

// serve runs `vmhostd serve`: the daemon, in the foreground, until SIGTERM or
// SIGINT. Guests keep running when it stops.
func serve(args []string) int {
	fs, path := commandFlags("serve", "vmhostd serve --config FILE [--log-level LEVEL]")
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log `LEVEL`: debug (with each guest start's phases), info, warn or error")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, ok := loadConfig(*path)
	if !ok {
		return 1
	}
	log, audit, err := daemonLogger(cfg.AuditLog, level)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 1
	}
	defer audit.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := runDaemon(ctx, cfg, log, audit); err != nil {
		log.Error("vmhostd stopped", "err", err)
		return 1
	}
	log.Info("vmhostd stopped; guests keep running")
	return 0
}

// runDaemon wires the parts together and serves SSH until ctx ends.
func runDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger, audit *auditFile) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("making data_dir: %w", err)
	}
	if err := checkSearchable("run_dir", cfg.RunDir); err != nil {
		return err
	}
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	fdb, err := descriptorBudget(log)
	if err != nil {
		return err
	}
	mets, err := startMetrics(cfg, log)
	if err != nil {
		return err
	}
	defer mets.close()
	live := newLiveConfig(cfg, log)
	live.onReload, live.onHUP = mets.reload, func() { reopenAudit(audit, log) }
	agent, err := newClusterAgent(cfg, live, log)
	if err != nil {
		return err
	}
	tuneGC()
	startPprof(log)
	exe, err := guest.NewSealedExe()
	if err != nil {
		return err
	}
	defer exe.Close()
	store := images.NewStore(filepath.Join(cfg.DataDir, "images"), log)
	store.SetReserve(func() error { return reserve.Check(cfg.DataDir, live.Config().Storage) })
	storage, err := newStorage(cfg, log)
	if err != nil {
		return err
	}
	nw, err := newNetwork(cfg, log, fdb)
	if err != nil {
		return err
	}
	if err := nw.Start(); err != nil {
		return err
	}
	defer nw.Close()
	labNet := startLabNet(cfg, log)
	live.reloaded = func(c *config.Config) { pruneLabNet(labNet, c, log) }
	cgroups, err := newCgroups(cfg, log)
	if err != nil {
		return err
	}
	defer cgroups.removeParent(log)
	views := startView(cfg, log)
	var mgr *guest.Manager
	defer func() { stopView(views, mgr, log) }()
	lab := newLabParts(live, log)
	mgr, err = guest.NewManager(guest.Options{
		DataDir: cfg.DataDir, RunDir: cfg.RunDir, Exe: exe, Logger: log,
		Images: configImages{cfg: live.Config, store: store, log: log, built: mets.counts.ImageBuilt}, Policy: agent.policy(cfg),
		Network: nw, Links: labLinks{labNet}, Cgroups: cgroups, Storage: storage,
		Trace: func(id, phase string, took time.Duration) {
			log.Debug("guest start phase", "guest", id, "phase", phase, "took", took)
		},
		View:       guestView(views),
		FirstStart: lab.firstStart,
	})
	if err != nil {
		return err
	}
	superviseView(views, mgr)
	kept := keptSessions(cfg, live, log)
	labSvc := lab.start(mgr)
	seen := lab.seen // when each guest was last used: the labs' status, the admins' page
	front, err := newWebFront(cfg, live, mgr, webDash{webLabs{labSvc, lab.store, live.Config}, guestUsage(mgr, live.conns, seen), seen}, log)
	if err != nil {
		return err
	}
	sshOpts := withSSHConfig(sshgate.Options{
		HostKeyDir: cfg.DataDir,
		Users:      live,
		Logins:     live,
		Tracker:    seen,
		Labs:       labs.NewShell(labSvc),
		Guests:     managerGuests{mgr},
		Logger:     log,
		Budget:     fdb,
		GuestKeys:  guestKeysOf(mgr, cfg.SSH),
		Sessions:   kept,
		Mosh:       moshOptions(cfg.SSH, nw, mgr),
		Metrics:    mets.counts,
		Web:        front.links(),
	}, cfg.SSH)
	srv, err := sshgate.New(sshOpts)
	if err != nil {
		return err
	}
	live.cluster = agent.node(mgr)
	mets.attach(metricsSource{mgr: mgr, cgroups: cgroups.c, storage: storage, bridge: cfg.Network.Bridge, config: live.Config}, srv)
	stopAdmin, err := startAdmin(ctx, live, mgr, countedImages{store, mets.counts.ImageBuilt}, keptAdmin{kept}, labSvc, front.revoker(), log)
	if err != nil {
		return err
	}
	defer stopAdmin()
	defer front.start(ctx, srv)()
	waitCluster, err := agent.serve(ctx, sshOpts, mgr)
	if err != nil {
		return err
	}
	defer waitCluster()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	log.Info("vmhostd listening", "addr", ln.Addr().String(), "config", cfg.Path)
	return srv.Serve(ctx, ln)
}

// descriptorBudget raises the daemon's open files limit and returns the
// budget of descriptors that clients and guests may make it hold; the rest
// is kept for the daemon's own work, the admin socket and logins.
func descriptorBudget(log *slog.Logger) (*fdbudget.Budget, error) {
	limit, err := fdbudget.RaiseLimit()
	if err != nil {
		log.Warn("raising the open files limit", "err", err)
	}
	fdb, err := fdbudget.ForProcess()
	if err != nil {
		return nil, err
	}
	log.Info("open files", "limit", limit, "budget_for_clients_and_guests", fdb.Max())
	return fdb, nil
}

// lockDataDir makes sure one daemon at a time uses a data directory.
func lockDataDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "vmhostd.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking data_dir: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data_dir %s is in use by another vmhostd (%w)", dir, err)
	}
	return func() { f.Close() }, nil
}

// configImages gives guests the images the config defines, built on first use.
type configImages struct {
	cfg   func() *config.Config // the configuration in use
	store *images.Store
	log   *slog.Logger
	built func(took time.Duration, failed bool) // counts a build; nil counts none
}

// Rootfs implements guest.Images.
func (c configImages) Rootfs(ctx context.Context, name string) (string, error) {
	spec, ok := c.cfg().Images[name]
	if !ok {
		return "", fmt.Errorf("image %q is not defined in the config; ask the admin", name)
	}
	build := &buildWatch{start: time.Now()}
	progress := io.MultiWriter(logWriter{c.log, name}, guest.Progress(ctx), build)
	img, err := c.store.Ensure(ctx, name, spec, progress)
	build.count(c.built, err)
	if err != nil {
		return "", err
	}
	return img.Rootfs, nil
}

// logWriter turns an image build's progress lines into log lines.
type logWriter struct {
	log   *slog.Logger
	image string
}

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info("image build", "image", w.image, "progress", string(p))
	return len(p), nil
}

// managerGuests adapts guest.Manager to what sshgate needs.
type managerGuests struct{ m *guest.Manager }

// Open implements sshgate.Guests.
func (g managerGuests) Open(ctx context.Context, owner, name string) (sshgate.Guest, error) {
	return g.m.Open(ctx, owner, name)
}
