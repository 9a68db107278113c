package netplumb

// Bounds bound what one guest address may make the daemon hold on the guest
// network (config's network.bounds). A field left zero takes its default.
type Bounds struct {
	RelayTCP   int // connections relayed to published TCP ports at once
	RelayUDP   int // exchanges (client ports) with one published UDP port
	DNSConns   int // DNS-over-TCP connections held open
	DNSQueries int // DNS queries being forwarded at once
	DNSRate    int // DNS answers a second, twice as many at once
	Conntrack  int // connections tracked by the host at once (see [ConnShares])
}

// connsPerGuest is the default of Bounds.Conntrack: 1/64 of the 262,144
// entries nf_conntrack_max has by default on a host with 4 GiB of memory or
// more, so that one guest holds at most that of the host's table.
const connsPerGuest = 4096

// withDefaults fills the fields left zero with the defaults.
func (b Bounds) withDefaults() Bounds {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&b.RelayTCP, relayTCPPerSource)
	def(&b.RelayUDP, relayUDPPerSource)
	def(&b.DNSConns, dnsTCPPerSource)
	def(&b.DNSQueries, dnsForwardsPerSource)
	def(&b.DNSRate, dnsRate)
	def(&b.Conntrack, connsPerGuest)
	return b
}
