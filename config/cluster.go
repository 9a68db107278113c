package config

import (
	"net"
	"strings"
	"unicode"
)

// Cluster is the agent role of a daemon on a node of a cluster (see the
// README's "Running on Kubernetes"): SSH over mutually authenticated TLS on
// Listen, for the cluster's gateways only. A login there is admitted with
// an SSH user certificate signed by UserCA whose principal is the guest's
// owner, and reaches only a guest assigned to this node (vmhostd cluster
// assign). Off unless Listen is set.
type Cluster struct {
	// Listen is host:port of the TLS listener; empty: no agent role.
	Listen string `yaml:"listen"`
	// CA is the cluster CA (PEM) that signs the gateways' client
	// certificates; Cert and Key are this agent's server certificate and
	// key (PEM). Read at start and at each reload.
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// GatewayName is the CommonName a gateway's client certificate must
	// carry; DefaultGatewayName when left out.
	GatewayName string `yaml:"gateway_name"`
	// UserCA is a file of the gateways' SSH user CA public keys, in
	// OpenSSH's format, one per line. Read at each login.
	UserCA string `yaml:"user_ca"`
	// MaxGuests bounds the guests assigned to this node;
	// DefaultClusterMaxGuests when left out.
	MaxGuests int `yaml:"max_guests"`
}

// Defaults and bounds of the cluster block.
const (
	DefaultGatewayName      = "vmhost-gateway"
	DefaultClusterMaxGuests = 1000
	// MaxClusterGuests bounds cluster.max_guests.
	MaxClusterGuests = 100000
	// maxGatewayName is the most a certificate's CommonName may hold.
	maxGatewayName = 64
)

// Enabled reports whether the agent role is on.
func (c Cluster) Enabled() bool { return c.Listen != "" }

// ValidUserName reports whether name is a valid user (guest owner) name,
// as a key of users: must be.
func ValidUserName(name string) bool { return userName.MatchString(name) }

// ValidGuestName reports whether name is a valid guest name, also its host
// name.
func ValidGuestName(name string) bool { return guestName.MatchString(name) }

// ValidImageName reports whether name is a valid image name, as a key of
// images: must be.
func ValidImageName(name string) bool { return imageName.MatchString(name) }

// defaultCluster fills in the keys of the cluster block the file left out.
func defaultCluster(c *Config, r *report) {
	if !c.Cluster.Enabled() {
		return
	}
	if c.Cluster.GatewayName == "" && !r.has("cluster.gateway_name") {
		c.Cluster.GatewayName = DefaultGatewayName
	}
	if c.Cluster.MaxGuests == 0 && !r.has("cluster.max_guests") {
		c.Cluster.MaxGuests = DefaultClusterMaxGuests
	}
}

// resolveClusterPaths makes the cluster block's files absolute against dir.
func resolveClusterPaths(c *Config, dir string) {
	for _, p := range []*string{&c.Cluster.CA, &c.Cluster.Cert, &c.Cluster.Key, &c.Cluster.UserCA} {
		*p = resolvePath(dir, *p)
	}
}

// checkCluster wants, with cluster.listen set, a host:port other than the
// SSH and web listeners, the four files, a gateway name fit for a
// certificate and a bounded max_guests; without it, no other key.
func checkCluster(v *validator) {
	cl := v.c.Cluster
	if !cl.Enabled() {
		checkClusterOff(v)
		return
	}
	if _, err := listenPort(cl.Listen); err != nil {
		v.addf("cluster.listen", "%q is not host:port with a port from 1 to 65535; write it like 0.0.0.0:7443, or leave the cluster block out on a single host", cl.Listen)
	} else if sameListener(cl.Listen, v.c.Listen) || v.c.Web.Enabled() && sameListener(cl.Listen, v.c.Web.Listen) {
		v.addf("cluster.listen", "%q is also the SSH or web listener; give the gateways' TLS listener a port of its own, such as 7443", cl.Listen)
	}
	for _, f := range []struct{ key, val, what string }{
		{"ca", cl.CA, "the cluster CA certificate (PEM) that signs the gateways' certificates"},
		{"cert", cl.Cert, "this agent's TLS certificate (PEM)"},
		{"key", cl.Key, "this agent's TLS key (PEM)"},
		{"user_ca", cl.UserCA, "the gateways' SSH user CA public key (OpenSSH format)"},
	} {
		if f.val == "" {
			v.addf("cluster."+f.key, "is missing; with cluster.listen set, write the file of %s", f.what)
		}
	}
	checkGatewayName(v, cl.GatewayName)
	if cl.MaxGuests < 1 || cl.MaxGuests > MaxClusterGuests {
		v.addf("cluster.max_guests", "%d is not from 1 to %d; write how many guests may be assigned to this node, or leave it out for %d",
			cl.MaxGuests, MaxClusterGuests, DefaultClusterMaxGuests)
	}
}

// checkClusterOff refuses cluster keys written without cluster.listen,
// which would otherwise be ignored in silence.
func checkClusterOff(v *validator) {
	for _, key := range []string{"ca", "cert", "key", "gateway_name", "user_ca", "max_guests"} {
		if v.has("cluster." + key) {
			v.addf("cluster."+key, "is set but cluster.listen is not, so nothing uses it; set cluster.listen (such as 0.0.0.0:7443) or leave the cluster block out")
			return
		}
	}
	if v.has("cluster.listen") {
		v.addf("cluster.listen", "is empty; write host:port such as 0.0.0.0:7443, or leave the cluster block out on a single host")
	}
}

// checkGatewayName wants a name that a certificate's CommonName can carry.
func checkGatewayName(v *validator, name string) {
	ok := name != "" && len(name) <= maxGatewayName && strings.IndexFunc(name, func(r rune) bool {
		return r > unicode.MaxASCII || !unicode.IsPrint(r)
	}) < 0 && strings.TrimSpace(name) == name
	if !ok {
		v.addf("cluster.gateway_name", "%q is not a certificate name; write up to %d printable ASCII characters, or leave it out for %s",
			name, maxGatewayName, DefaultGatewayName)
	}
}

// sameListener reports whether two host:port listeners take the same
// port on overlapping addresses.
func sameListener(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb {
		return false
	}
	return ha == hb || isWildcard(ha) || isWildcard(hb)
}

// isWildcard reports whether host listens on every address.
func isWildcard(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::"
}
