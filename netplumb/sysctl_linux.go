package netplumb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// procSys is where the kernel's network settings are; they belong to the
// network namespace of the thread that opens them.
const procSys = "/proc/sys/net"

// setSysctl writes value to /proc/sys/net/key unless it already holds it.
// Equivalent to: sysctl -w net.KEY=VALUE
func setSysctl(key, value string) error {
	path := filepath.Join(procSys, key)
	old, err := os.ReadFile(path)
	if err == nil && string(bytes.TrimSpace(old)) == value {
		return nil
	}
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("setting %s to %s: %w", path, value, err)
	}
	return nil
}

// disableIPv6 turns IPv6 off on iface, so the host has no address there that a
// guest could reach. Kernels without IPv6 have nothing to turn off.
// Equivalent to: sysctl -w net.ipv6.conf.IFACE.disable_ipv6=1
func disableIPv6(iface string) error {
	err := setSysctl(filepath.Join("ipv6/conf", iface, "disable_ipv6"), "1")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
