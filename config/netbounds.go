package config

// GuestBounds bound what one guest's address may make the daemon hold on
// the guest network (network.bounds). Each has a safe default; a key left
// out takes it.
type GuestBounds struct {
	// RelayConnections bounds the connections to published TCP ports one
	// address has relayed at once.
	RelayConnections int `yaml:"relay_connections"`
	// UDPExchanges bounds the exchanges (client ports) one address has open
	// with one published UDP port.
	UDPExchanges int `yaml:"udp_exchanges"`
	// DNSConnections bounds the DNS-over-TCP connections one address holds.
	DNSConnections int `yaml:"dns_connections"`
	// DNSQueries bounds the queries of one address the DNS server forwards
	// at once.
	DNSQueries int `yaml:"dns_queries"`
	// DNSAnswersPerSecond bounds the DNS answers one address gets a second
	// (twice as many at once).
	DNSAnswersPerSecond int `yaml:"dns_answers_per_second"`
	// ConntrackPerGuest bounds the connections of one guest (its MAC, so
	// IPv4 and IPv6 together) the host's connection tracking holds at once:
	// its share of nf_conntrack_max. Past it, the guest's new connections
	// are dropped until some of its own end.
	ConntrackPerGuest int `yaml:"conntrack_per_guest"`
}

// Defaults of network.bounds.
const (
	DefaultRelayConnections    = 64
	DefaultUDPExchanges        = 32
	DefaultDNSConnections      = 8
	DefaultDNSQueries          = 16
	DefaultDNSAnswersPerSecond = 100
	// DefaultConntrackPerGuest is 1/64 of the 262,144 entries of
	// nf_conntrack_max on a host with 4 GiB of memory or more.
	DefaultConntrackPerGuest = 4096
)

// maxConntrackPerGuest is the most network.bounds.conntrack_per_guest may
// be; nf_conntrack_max is rarely more.
const maxConntrackPerGuest = 1 << 22

// maxGuestBound is the most any of network.bounds may be.
const maxGuestBound = 100000

// defaultGuestBounds fills in the keys of network.bounds the file left out.
func defaultGuestBounds(c *Config, r *report) {
	b := &c.Network.Bounds
	def := func(path string, v *int, d int) {
		if *v == 0 && !r.has("network.bounds."+path) {
			*v = d
		}
	}
	def("relay_connections", &b.RelayConnections, DefaultRelayConnections)
	def("udp_exchanges", &b.UDPExchanges, DefaultUDPExchanges)
	def("dns_connections", &b.DNSConnections, DefaultDNSConnections)
	def("dns_queries", &b.DNSQueries, DefaultDNSQueries)
	def("dns_answers_per_second", &b.DNSAnswersPerSecond, DefaultDNSAnswersPerSecond)
	def("conntrack_per_guest", &b.ConntrackPerGuest, DefaultConntrackPerGuest)
}

// checkGuestBounds wants each of network.bounds from 1 to maxGuestBound
// (conntrack_per_guest to maxConntrackPerGuest).
func checkGuestBounds(v *validator) {
	b := v.c.Network.Bounds
	checkRange(v, "network.bounds.relay_connections", b.RelayConnections, maxGuestBound, DefaultRelayConnections)
	checkRange(v, "network.bounds.udp_exchanges", b.UDPExchanges, maxGuestBound, DefaultUDPExchanges)
	checkRange(v, "network.bounds.dns_connections", b.DNSConnections, maxGuestBound, DefaultDNSConnections)
	checkRange(v, "network.bounds.dns_queries", b.DNSQueries, maxGuestBound, DefaultDNSQueries)
	checkRange(v, "network.bounds.dns_answers_per_second", b.DNSAnswersPerSecond, maxGuestBound, DefaultDNSAnswersPerSecond)
	checkRange(v, "network.bounds.conntrack_per_guest", b.ConntrackPerGuest, maxConntrackPerGuest, DefaultConntrackPerGuest)
}
