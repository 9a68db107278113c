package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// clusterBlock is a cluster block with every file, relative paths.
const clusterBlock = "cluster:\n  listen: 0.0.0.0:7443\n  ca: tls/ca.crt\n  cert: tls/tls.crt\n  key: /k.pem\n  user_ca: user-ca.pub\n"

func TestCluster(t *testing.T) {
	c, err := testLoader.Parse("/etc/vmhost/c.yaml", []byte(clusterBlock))
	if err != nil {
		t.Fatalf("a cluster block and no users: %v", err)
	}
	want := Cluster{Listen: "0.0.0.0:7443", CA: "/etc/vmhost/tls/ca.crt", Cert: "/etc/vmhost/tls/tls.crt", Key: "/k.pem",
		UserCA: "/etc/vmhost/user-ca.pub", GatewayName: DefaultGatewayName, MaxGuests: DefaultClusterMaxGuests}
	if diff := cmp.Diff(want, c.Cluster); diff != "" {
		t.Errorf("Cluster (-want +got):\n%s", diff)
	}
	if !c.Cluster.Enabled() {
		t.Error("cluster.listen set: not enabled")
	}
	c, err = testLoader.Parse("/c.yaml", []byte(clusterBlock+"  gateway_name: gw.example\n  max_guests: 5\n"+bob))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.GatewayName != "gw.example" || c.Cluster.MaxGuests != 5 {
		t.Errorf("gateway_name, max_guests = %q, %d; want gw.example, 5", c.Cluster.GatewayName, c.Cluster.MaxGuests)
	}
	off, err := testLoader.Parse("/c.yaml", []byte(bob))
	if err != nil || off.Cluster.Enabled() || off.Cluster != (Cluster{}) {
		t.Errorf("no cluster block: %+v, err %v; want the zero block", off.Cluster, err)
	}
}

func TestClusterErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"cluster:\n  listen: nowhere\n  ca: a\n  cert: b\n  key: c\n  user_ca: d\n", `c.yaml:2: cluster.listen: "nowhere" is not host:port`},
		{"cluster:\n  listen: 0.0.0.0:2222\n  ca: a\n  cert: b\n  key: c\n  user_ca: d\n", `c.yaml:2: cluster.listen: "0.0.0.0:2222" is also the SSH or web listener`},
		{"cluster:\n  listen: 127.0.0.1:7443\n  cert: b\n  key: c\n  user_ca: d\n", `c.yaml:1: cluster.ca: is missing`},
		{"cluster:\n  listen: 127.0.0.1:7443\n  ca: a\n  cert: b\n  key: c\n", `c.yaml:1: cluster.user_ca: is missing`},
		{"cluster:\n  listen: 127.0.0.1:7443\n  ca: a\n  cert: b\n  key: c\n  user_ca: d\n  gateway_name: \"\"\n", `c.yaml:7: cluster.gateway_name: "" is not a certificate name`},
		{"cluster:\n  listen: 127.0.0.1:7443\n  ca: a\n  cert: b\n  key: c\n  user_ca: d\n  gateway_name: \"gw\\n\"\n", `c.yaml:7: cluster.gateway_name: "gw\n" is not a certificate name`},
		{"cluster:\n  listen: 127.0.0.1:7443\n  ca: a\n  cert: b\n  key: c\n  user_ca: d\n  max_guests: 0\n", `c.yaml:7: cluster.max_guests: 0 is not from 1 to 100000`},
		{"cluster:\n  listen: 127.0.0.1:7443\n  ca: a\n  cert: b\n  key: c\n  user_ca: d\n  max_guests: 100001\n", `c.yaml:7: cluster.max_guests: 100001 is not from 1`},
		{"cluster:\n  ca: a\n", `c.yaml:2: cluster.ca: is set but cluster.listen is not`},
		{"cluster:\n  listen: \"\"\n", `c.yaml:2: cluster.listen: is empty`},
		{"cluster:\n  listen: :7443\n  port: 1\n", `c.yaml:3: unknown key "port" in cluster`},
		{"cluster:\n  ca: a\n", `c.yaml: users: no user is defined`},
	}
	for _, tt := range tests {
		_, err := testLoader.Parse("/c.yaml", []byte(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tt.text, err, tt.want)
		}
	}
}

func TestSameListener(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"0.0.0.0:7443", "127.0.0.1:7443", true},
		{"127.0.0.1:7443", "[::]:7443", true},
		{"127.0.0.1:7443", "127.0.0.2:7443", false},
		{"127.0.0.1:7443", "127.0.0.1:2222", false},
		{":7443", "10.0.0.1:7443", true},
	}
	for _, tt := range tests {
		if got := sameListener(tt.a, tt.b); got != tt.want {
			t.Errorf("sameListener(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
