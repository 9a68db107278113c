// Command bench measures vmhost side by side with its baselines on the same
// machine, in the same run: OpenSSH's sshd for logins, file transfer and port
// forwarding, and plain network namespaces joined by a veth pair for the guest
// network. Machines here are noisy, so each figure is the median of several
// runs, interleaved with its baseline's (each side going first in turn), and
// is reported as a ratio.
//
// `make bench` runs it as root after installing what it needs
// (openssh-server, iperf3) and building bin/vmhostd:
//
//	go run ./bench -vmhostd bin/vmhostd -out bench/RESULTS.md
//
// It starts a vmhostd of its own (a temporary data_dir, a bridge and subnet
// of its own, a free port) and an sshd of its own on 127.0.0.1 (its own host
// key and config; the system's sshd is neither used nor started), and removes
// everything it made when it ends: guests, bridge, chains, namespaces and
// directories.
package main
