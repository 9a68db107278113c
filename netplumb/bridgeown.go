package netplumb

import (
	"bytes"
	"fmt"
	"net"
)

// bridgeAlias is the interface alias vmhost gives a bridge it makes (ip
// link set NAME alias ...), by which it knows its own bridge from one
// another program made, such as docker0, lxdbr0 or virbr0.
const bridgeAlias = "vmhost guest bridge"

// ownBridge reports whether a bridge called name, with this alias and MAC,
// is one vmhost made: it has vmhost's alias or, as bridges made before
// vmhost set one, the MAC vmhost derives from its name.
func ownBridge(name, alias string, mac net.HardwareAddr) bool {
	return alias == bridgeAlias || bytes.Equal(mac, bridgeMAC(name))
}

// checkBridgeOwner refuses an existing bridge that vmhost did not make,
// unless the admin lets vmhost adopt it: vmhost would take its addresses.
func checkBridgeOwner(name string, own, adopt bool) error {
	if own || adopt {
		return nil
	}
	return fmt.Errorf("bridge %s exists and vmhost did not make it (is it another program's, as docker0, lxdbr0 or virbr0 are?); "+
		"vmhost would replace its addresses with the gateway's and plug guests into it: pick a network.bridge no interface has, "+
		"or set network.adopt_bridge: true to let vmhost take it over", name)
}
