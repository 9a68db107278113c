package netplumb

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// defaultResolvConf is the host's resolver configuration.
const defaultResolvConf = "/etc/resolv.conf"

// hostResolvers reads the nameservers of a resolv.conf file, again whenever the
// file changes, as DHCP clients and VPNs rewrite it.
type hostResolvers struct {
	path    string
	exclude netip.Addr // the gateway: never forward to ourselves

	mu      sync.Mutex
	modTime time.Time
	size    int64
	servers []string
}

// list returns the resolvers as host:port. Without a readable file or a
// nameserver line it is 127.0.0.1:53, as for the C library.
func (r *hostResolvers) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	fi, err := os.Stat(r.path)
	if err == nil && r.servers != nil && fi.ModTime().Equal(r.modTime) && fi.Size() == r.size {
		return r.servers
	}
	r.servers = []string{"127.0.0.1:53"}
	if err != nil {
		return r.servers
	}
	r.modTime, r.size = fi.ModTime(), fi.Size()
	cc, err := dns.ClientConfigFromFile(r.path)
	if err != nil {
		return r.servers
	}
	var servers []string
	for _, s := range cc.Servers {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Unmap() == r.exclude {
			continue
		}
		servers = append(servers, net.JoinHostPort(s, cc.Port))
	}
	if len(servers) > 0 {
		r.servers = servers
	}
	return r.servers
}
