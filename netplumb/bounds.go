package netplumb

// Bounds bound what one guest address may make the daemon hold on the guest
// network (config's network.bounds). A field left zero takes its default.
type Bounds struct {
	RelayTCP   int // connections relayed to published TCP ports at once
	RelayUDP   int // exchanges (client ports) with one published UDP port
	DNSConns   int // DNS-over-TCP connections held open
	DNSQueries int // DNS queries being forwarded at once
	DNSRate    int // DNS answers a second, twice as many at once
}

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
	return b
}
