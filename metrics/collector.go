package metrics

import (
	"errors"
	"io/fs"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// SSHState tells, at scrape time, what the SSH server holds now.
// *sshgate.Server implements it.
type SSHState interface {
	PreAuthConnections() int
	PenalizedSources() int
}

// Collector reads every guest's numbers at scrape time. It is a
// prometheus.Collector.
type Collector struct {
	daemon *Daemon
	netDev string // the host's /proc/net/dev
	from   atomic.Pointer[sources]
}

// sources are where a Collector reads the guests and the SSH server's
// state; nil until Attach.
type sources struct {
	guests Source
	ssh    SSHState
}

// NewCollector returns the collector of the guests of a Source given by
// Attach, with the sessions d counts. netDev is the host's table of
// interface counters (DefaultNetDev). Until Attach, it collects no guest.
func NewCollector(d *Daemon, netDev string) *Collector {
	return &Collector{daemon: d, netDev: netDev}
}

// Attach makes c read src's guests and ssh's state (ssh may be nil) from
// the next scrape on.
func (c *Collector) Attach(src Source, ssh SSHState) {
	c.from.Store(&sources{guests: src, ssh: ssh})
}

// desc is one per-guest or host metric.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// withGuest returns the per-guest labels followed by more.
func withGuest(more ...string) []string {
	return append(append([]string{}, guestLabelNames...), more...)
}

// The collector's metrics.
var (
	descGuests   = desc("vmhost_guests", "Guests by state.", "state")
	descPreAuth  = desc("vmhost_ssh_preauth_connections", "SSH connections accepted and not yet authenticated (bounded by ssh.max_startups).")
	descPenalty  = desc("vmhost_ssh_auth_penalized_sources", "Source addresses whose failed logins are penalized now (ssh.auth_penalty).")
	descState    = desc("vmhost_guest_state", "1 for the guest's state: stopped, starting, running, stopping or broken.", withGuest("state")...)
	descSessions = desc("vmhost_guest_sessions", "SSH session channels open to the guest.", withGuest()...)
	descStart    = desc("vmhost_guest_start_time_seconds", "When the running guest's init started, in seconds since the epoch.", withGuest()...)
	descCPU      = desc("vmhost_guest_cpu_seconds_total", "CPU time used by the guest's cgroup.", withGuest()...)
	descMem      = desc("vmhost_guest_memory_bytes", "Memory in use by the guest's cgroup, less inactive page cache.", withGuest()...)
	descMemMax   = desc("vmhost_guest_memory_limit_bytes", "Memory limit of the guest's cgroup; absent when unlimited.", withGuest()...)
	descSwap     = desc("vmhost_guest_swap_bytes", "Swap used by the guest's cgroup.", withGuest()...)
	descPids     = desc("vmhost_guest_pids", "Processes and threads in the guest's cgroup.", withGuest()...)
	descPidsMax  = desc("vmhost_guest_pids_limit", "Process limit of the guest's cgroup; absent when unlimited.", withGuest()...)
	descOOM      = desc("vmhost_guest_oom_kills_total", "Processes of the guest killed for going over its memory limit.", withGuest()...)
	descIORead   = desc("vmhost_guest_io_read_bytes_total", "Bytes the guest's cgroup read from block devices.", withGuest()...)
	descIOWrite  = desc("vmhost_guest_io_write_bytes_total", "Bytes the guest's cgroup wrote to block devices.", withGuest()...)
	descNetRxB   = desc("vmhost_guest_network_receive_bytes_total", "Bytes the guest received on its interface (counted on the host end).", withGuest()...)
	descNetTxB   = desc("vmhost_guest_network_transmit_bytes_total", "Bytes the guest sent on its interface (counted on the host end).", withGuest()...)
	descNetRxP   = desc("vmhost_guest_network_receive_packets_total", "Packets the guest received on its interface.", withGuest()...)
	descNetTxP   = desc("vmhost_guest_network_transmit_packets_total", "Packets the guest sent on its interface.", withGuest()...)
	descDisk     = desc("vmhost_guest_disk_used_bytes", "Bytes the guest's own files take on its own disk.", withGuest()...)
	descDiskMax  = desc("vmhost_guest_disk_limit_bytes", "Bytes the guest's own files may take on its own disk.", withGuest()...)
)

// stateLabelNames are the labels of vmhost_guest_state.
var stateLabelNames = withGuest("state")

// allDescs are every metric of the collector.
var allDescs = []*prometheus.Desc{descGuests, descPreAuth, descPenalty, descState, descSessions, descStart,
	descCPU, descMem, descMemMax, descSwap, descPids, descPidsMax, descOOM, descIORead, descIOWrite,
	descNetRxB, descNetTxB, descNetRxP, descNetTxP, descDisk, descDiskMax}

// guestStates are the states vmhost_guests always shows.
var guestStates = []string{"stopped", "starting", "running", "stopping", "broken"}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it lists the guests and reads
// each one's files.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	from := c.from.Load()
	if from == nil {
		return
	}
	if from.ssh != nil {
		ch <- gauge(descPreAuth, float64(from.ssh.PreAuthConnections()))
		ch <- gauge(descPenalty, float64(from.ssh.PenalizedSources()))
	}
	guests := from.guests.Guests()
	byState := map[string]int{}
	r := &guestReader{files: new(fileReader), src: from.guests, net: c.readNet(guests)}
	for i := range guests {
		g := &guests[i]
		byState[g.State]++
		c.collectGuest(ch, r, g)
	}
	for _, s := range guestStates {
		ch <- gauge(descGuests, float64(byState[s]), s)
	}
}

// guestReader is what one scrape reads the guests with.
type guestReader struct {
	files *fileReader
	src   Source
	net   map[string]NetUsage // by host veth name
}

// readNet reads the counters of the running guests' veths, once.
func (c *Collector) readNet(guests []Guest) map[string]NetUsage {
	want := map[string]bool{}
	for i := range guests {
		if guests[i].Running && guests[i].Veth != "" {
			want[guests[i].Veth] = true
		}
	}
	if len(want) == 0 {
		return nil
	}
	net, err := ReadNetDev(c.netDev, want)
	if err != nil {
		c.readFailed(err)
	}
	return net
}

// collectGuest sends the series of one guest.
func (c *Collector) collectGuest(ch chan<- prometheus.Metric, r *guestReader, g *Guest) {
	values := guestLabels(g)
	ch <- &sample{desc: descState, typ: prometheus.GaugeValue, value: 1,
		labels: labelPairs(stateLabelNames, append(values[:len(values):len(values)], g.State))}
	s := guestSeries{ch: ch, labels: labelPairs(guestLabelNames, values)}
	s.gauge(descSessions, float64(c.daemon.guestSessions(g.ID)))
	if !g.Running {
		return
	}
	s.gauge(descStart, float64(g.Started.UnixNano())/1e9)
	if g.CgroupDirs != nil {
		if u, err := r.files.usage(g.CgroupDirs); err == nil {
			s.usage(u)
		} else {
			c.readFailed(err)
		}
	}
	if n, ok := r.net[g.Veth]; ok {
		s.net(n)
	}
	if d, ok := r.src.Disk(g.ID); ok {
		s.gauge(descDisk, float64(d.UsedBytes))
		s.gauge(descDiskMax, float64(d.LimitBytes))
	}
}

// readFailed counts an error reading a guest's files, but for a guest
// that went away while it was read.
func (c *Collector) readFailed(err error) {
	if !errors.Is(err, fs.ErrNotExist) {
		c.daemon.Error("metrics_read")
	}
}

// usage sends the cgroup series of one guest.
func (s guestSeries) usage(u Usage) {
	s.counter(descCPU, u.CPUSeconds)
	s.gauge(descMem, float64(u.MemoryBytes))
	if u.MemoryLimitBytes != 0 {
		s.gauge(descMemMax, float64(u.MemoryLimitBytes))
	}
	s.gauge(descSwap, float64(u.SwapBytes))
	s.gauge(descPids, float64(u.Pids))
	if u.PidsLimit != 0 {
		s.gauge(descPidsMax, float64(u.PidsLimit))
	}
	s.counter(descOOM, float64(u.OOMKills))
	s.counter(descIORead, float64(u.IOReadBytes))
	s.counter(descIOWrite, float64(u.IOWriteBytes))
}

// net sends the network series of one guest.
func (s guestSeries) net(n NetUsage) {
	s.counter(descNetRxB, float64(n.ReceiveBytes))
	s.counter(descNetTxB, float64(n.TransmitBytes))
	s.counter(descNetRxP, float64(n.ReceivePackets))
	s.counter(descNetTxP, float64(n.TransmitPackets))
}

// gauge makes one sample.
func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}
