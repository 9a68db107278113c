package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Daemon holds the daemon's own counters, moved as things happen: it
// implements sshgate.Metrics, and counts image builds. Its zero value is
// not usable; make one with NewDaemon.
type Daemon struct {
	logins       *prometheus.CounterVec
	handshake    prometheus.Histogram
	login        prometheus.Histogram
	sessions     prometheus.Gauge
	forwards     prometheus.Gauge
	forwarded    *prometheus.CounterVec
	sftp         *prometheus.CounterVec
	builds       *prometheus.CounterVec
	buildSeconds prometheus.Histogram
	errors       *prometheus.CounterVec

	mu      sync.Mutex
	byGuest map[string]int // session channels open, by guest id
}

// latencyBuckets are the buckets of the SSH latency histograms, in
// seconds: a warm login takes milliseconds, a cold one (a guest to start)
// up to seconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// buildBuckets are the buckets of image build durations, in seconds.
var buildBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600}

// NewDaemon returns the daemon's counters, every labelled series of a known
// label value made at zero, so that rates start from the first scrape.
func NewDaemon() *Daemon {
	d := &Daemon{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vmhost_ssh_logins_total",
			Help: "SSH authentication outcomes: accepted, refused_key, unknown_user, penalty, too_many_connections."}, []string{"outcome"}),
		handshake: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vmhost_ssh_handshake_duration_seconds",
			Help: "Time from a connection's accept to the end of its key exchange and authentication.", Buckets: latencyBuckets}),
		login: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vmhost_ssh_login_duration_seconds",
			Help: "Time from a connection's accept to its first session's process running in the guest (a guest start included).", Buckets: latencyBuckets}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vmhost_ssh_sessions",
			Help: "SSH session channels open."}),
		forwards: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vmhost_ssh_forwards",
			Help: "Forwarded connections open (ssh -L, -D, -R, -W and Unix sockets)."}),
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vmhost_ssh_forwarded_bytes_total",
			Help: "Bytes carried by forwarded connections, counted when each closes; direction in is from the client."}, []string{"direction"}),
		sftp: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vmhost_sftp_bytes_total",
			Help: "Bytes of files read and written over SFTP, counted when each file closes."}, []string{"direction"}),
		builds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vmhost_image_builds_total",
			Help: "Image builds the daemon ran, by outcome: ok or failed."}, []string{"outcome"}),
		buildSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vmhost_image_build_duration_seconds",
			Help: "Duration of the image builds the daemon ran.", Buckets: buildBuckets}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vmhost_errors_total",
			Help: "Errors by kind: ssh_handshake, session_start, forward_dial, panic, image_build, metrics_read."}, []string{"kind"}),
		byGuest: map[string]int{},
	}
	d.zero()
	return d
}

// Known label values, made at zero.
var (
	loginOutcomes = []string{"accepted", "refused_key", "unknown_user", "penalty", "too_many_connections"}
	errorKinds    = []string{"ssh_handshake", "session_start", "forward_dial", "panic", "image_build", "metrics_read"}
)

// zero makes the known series.
func (d *Daemon) zero() {
	for _, o := range loginOutcomes {
		d.logins.WithLabelValues(o)
	}
	for _, k := range errorKinds {
		d.errors.WithLabelValues(k)
	}
	for _, dir := range []string{"in", "out"} {
		d.forwarded.WithLabelValues(dir)
	}
	for _, dir := range []string{"read", "write"} {
		d.sftp.WithLabelValues(dir)
	}
	for _, o := range []string{"ok", "failed"} {
		d.builds.WithLabelValues(o)
	}
}

// collectors are the metrics of d, to register.
func (d *Daemon) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.logins, d.handshake, d.login, d.sessions, d.forwards, d.forwarded,
		d.sftp, d.builds, d.buildSeconds, d.errors}
}

// Login implements sshgate.Metrics.
func (d *Daemon) Login(outcome string) { d.logins.WithLabelValues(outcome).Inc() }

// Handshake implements sshgate.Metrics.
func (d *Daemon) Handshake(t time.Duration) { d.handshake.Observe(t.Seconds()) }

// LoggedIn implements sshgate.Metrics.
func (d *Daemon) LoggedIn(t time.Duration) { d.login.Observe(t.Seconds()) }

// SessionOpened implements sshgate.Metrics.
func (d *Daemon) SessionOpened(guestID string) {
	d.sessions.Inc()
	d.mu.Lock()
	d.byGuest[guestID]++
	d.mu.Unlock()
}

// SessionClosed implements sshgate.Metrics.
func (d *Daemon) SessionClosed(guestID string) {
	d.sessions.Dec()
	d.mu.Lock()
	if d.byGuest[guestID]--; d.byGuest[guestID] <= 0 {
		delete(d.byGuest, guestID)
	}
	d.mu.Unlock()
}

// guestSessions returns the session channels open to guest id.
func (d *Daemon) guestSessions(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byGuest[id]
}

// ForwardOpened implements sshgate.Metrics.
func (d *Daemon) ForwardOpened() { d.forwards.Inc() }

// ForwardClosed implements sshgate.Metrics.
func (d *Daemon) ForwardClosed(in, out int64) {
	d.forwards.Dec()
	d.forwarded.WithLabelValues("in").Add(float64(max(in, 0)))
	d.forwarded.WithLabelValues("out").Add(float64(max(out, 0)))
}

// SFTP implements sshgate.Metrics.
func (d *Daemon) SFTP(read, written int64) {
	d.sftp.WithLabelValues("read").Add(float64(max(read, 0)))
	d.sftp.WithLabelValues("write").Add(float64(max(written, 0)))
}

// Error implements sshgate.Metrics.
func (d *Daemon) Error(kind string) { d.errors.WithLabelValues(kind).Inc() }

// ImageBuilt counts an image build that took t; failed says it failed.
func (d *Daemon) ImageBuilt(t time.Duration, failed bool) {
	outcome := "ok"
	if failed {
		outcome = "failed"
		d.Error("image_build")
	}
	d.builds.WithLabelValues(outcome).Inc()
	d.buildSeconds.Observe(t.Seconds())
}
