package netplumb

import (
	"net"
	"strings"
	"testing"
)

func TestOwnBridge(t *testing.T) {
	random, _ := net.ParseMAC("02:42:ac:11:00:01")
	for _, tt := range []struct {
		name, alias string
		mac         net.HardwareAddr
		want        bool
	}{
		{"vmhost0", bridgeAlias, random, true},
		{"vmhost0", "", bridgeMAC("vmhost0"), true}, // made before the alias
		{"vmhost0", "", bridgeMAC("vmhost1"), false},
		{"docker0", "", random, false},
		{"virbr0", "libvirt", random, false},
	} {
		if got := ownBridge(tt.name, tt.alias, tt.mac); got != tt.want {
			t.Errorf("ownBridge(%q, %q, %s) = %v, want %v", tt.name, tt.alias, tt.mac, got, tt.want)
		}
	}
}

func TestCheckBridgeOwner(t *testing.T) {
	for _, tt := range []struct {
		own, adopt, ok bool
	}{
		{own: true, ok: true},
		{adopt: true, ok: true},
		{own: true, adopt: true, ok: true},
		{ok: false},
	} {
		err := checkBridgeOwner("docker0", tt.own, tt.adopt)
		if (err == nil) != tt.ok {
			t.Errorf("checkBridgeOwner(docker0, own %v, adopt %v) = %v, want ok %v", tt.own, tt.adopt, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "network.adopt_bridge: true") {
			t.Errorf("checkBridgeOwner error %q does not say how to adopt the bridge", err)
		}
	}
}
