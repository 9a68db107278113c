package config

import (
	"net"
	"net/netip"
	"strings"
)

// Metrics is the metrics: section: where the daemon serves Prometheus
// metrics, and the bearer token a scraper must send.
type Metrics struct {
	// Listen is host:port of the plain HTTP /metrics endpoint; empty
	// serves none.
	Listen string `yaml:"listen"`
	// TokenFile holds the bearer token a scrape must send (Authorization:
	// Bearer TOKEN); required when Listen is not a loopback address.
	TokenFile string `yaml:"token_file"`
}

// ExampleMetricsListen is the address the errors suggest for metrics.listen.
const ExampleMetricsListen = "127.0.0.1:9321"

// checkMetrics wants metrics.listen host:port, and a token file for any
// address but loopback.
func checkMetrics(v *validator) {
	m := v.c.Metrics
	if m.Listen == "" {
		return
	}
	host, _, err := net.SplitHostPort(m.Listen)
	if _, perr := listenPort(m.Listen); err != nil || perr != nil {
		v.addf("metrics.listen", "%q is not host:port with a port from 1 to 65535; write it like %s, or leave it out to serve no metrics", m.Listen, ExampleMetricsListen)
		return
	}
	if m.TokenFile == "" && !IsLoopback(host) {
		v.addf("metrics.listen", "%q is not a loopback address, and metrics.token_file is not set: anyone who reaches it would read every guest's use; set metrics.token_file, or listen on %s", m.Listen, ExampleMetricsListen)
	}
}

// IsLoopback reports whether host (of a host:port) names a loopback
// address: 127.0.0.0/8, ::1 or localhost. An empty host, every address, is
// not one.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
