package netplumb

import (
	"crypto/sha256"
	"net"
)

// bridgeMAC returns a locally administered unicast MAC address for name.
func bridgeMAC(name string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("vmhost bridge " + name))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^1 | 2
	return mac
}
