package config

import (
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	tests := []struct {
		in   string
		want Metrics
	}{
		{bob, Metrics{}},
		{"metrics:\n  listen: 127.0.0.1:9321\n" + bob, Metrics{Listen: "127.0.0.1:9321"}},
		{"metrics:\n  listen: \"[::1]:9321\"\n" + bob, Metrics{Listen: "[::1]:9321"}},
		{"metrics:\n  listen: localhost:9321\n" + bob, Metrics{Listen: "localhost:9321"}},
		{"metrics:\n  listen: 0.0.0.0:9321\n  token_file: /etc/t\n" + bob, Metrics{Listen: "0.0.0.0:9321", TokenFile: "/etc/t"}},
		{"metrics:\n  listen: :9321\n  token_file: /etc/t\n" + bob, Metrics{Listen: ":9321", TokenFile: "/etc/t"}},
	}
	for _, tt := range tests {
		c, err := testLoader.Parse("/c.yaml", []byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if c.Metrics != tt.want {
			t.Errorf("Parse(%q): metrics %+v, want %+v", tt.in, c.Metrics, tt.want)
		}
	}
}

func TestMetricsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"metrics:\n  listen: 0.0.0.0:9321\n", `c.yaml:2: metrics.listen: "0.0.0.0:9321" is not a loopback address, and metrics.token_file is not set`},
		{"metrics:\n  listen: :9321\n", `c.yaml:2: metrics.listen: ":9321" is not a loopback address`},
		{"metrics:\n  listen: 10.0.0.1:9321\n", `metrics.listen: "10.0.0.1:9321" is not a loopback address`},
		{"metrics:\n  listen: 127.0.0.1\n", `c.yaml:2: metrics.listen: "127.0.0.1" is not host:port`},
		{"metrics:\n  listen: 127.0.0.1:0\n", `metrics.listen: "127.0.0.1:0" is not host:port with a port from 1 to 65535`},
		{"metrics:\n  port: 9321\n", `c.yaml:2: unknown key "port" in metrics`},
	}
	for _, tt := range tests {
		_, err := testLoader.Parse("/c.yaml", []byte(tt.in+bob))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tt.in, err, tt.want)
		}
	}
}

func TestAuditLog(t *testing.T) {
	c, err := testLoader.Parse("/c.yaml", []byte("audit_log: /var/log/vmhost/audit.log\n"+bob))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuditLog != "/var/log/vmhost/audit.log" {
		t.Errorf("audit_log = %q, want /var/log/vmhost/audit.log", c.AuditLog)
	}
	c, err = testLoader.Parse("/etc/vmhost/c.yaml", []byte("audit_log: audit.log\nmetrics: {listen: \"127.0.0.1:9321\", token_file: t}\n"+bob))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuditLog != "/etc/vmhost/audit.log" || c.Metrics.TokenFile != "/etc/vmhost/t" {
		t.Errorf("relative audit_log and token_file = %q, %q; want them in the config's directory", c.AuditLog, c.Metrics.TokenFile)
	}
}
