package metrics

import (
	"bytes"
	"strconv"
)

// DefaultNetDev is the host's table of interface counters: the daemon's
// own network namespace, where the host ends of the guests' veth pairs
// are. One read of it costs less than four sysfs files per guest.
const DefaultNetDev = "/proc/self/net/dev"

// maxNetDev bounds what is read of DefaultNetDev: about 130 bytes an
// interface, so some 30,000 interfaces. Guests cannot add interfaces to
// the host's namespace; the daemon adds one per running guest.
const maxNetDev = 4 << 20

// parseNetDev returns the counters of the interfaces of a /proc/net/dev
// table that want names, turned to the guest's side: what the host end
// sent, the guest received.
func parseNetDev(b []byte, want map[string]bool) map[string]NetUsage {
	out := make(map[string]NetUsage, len(want))
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		name, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		name = bytes.TrimSpace(name)
		if !want[string(name)] {
			continue
		}
		if n, ok := netDevLine(rest); ok {
			out[string(name)] = n
		}
	}
	return out
}

// netDevLine reads the counters after an interface's name: received
// bytes and packets are fields 0 and 1, sent ones 8 and 9.
func netDevLine(rest []byte) (NetUsage, bool) {
	var f [10]uint64
	for i := range f {
		rest = bytes.TrimLeft(rest, " ")
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		v, err := strconv.ParseUint(string(rest[:end]), 10, 64)
		if err != nil {
			return NetUsage{}, false
		}
		f[i], rest = v, rest[end:]
	}
	return NetUsage{ReceiveBytes: f[8], ReceivePackets: f[9], TransmitBytes: f[0], TransmitPackets: f[1]}, true
}
