// Package metrics serves vmhost's Prometheus metrics: per guest (its cgroup's
// CPU, memory, swap, pids, OOM kills and I/O, its network interface's bytes
// and packets, its disk, its sessions) and for the daemon (logins, SSH
// latencies, sessions and forwards, bytes forwarded, SFTP bytes, image
// builds, auth penalties, pre-auth connections, errors; Go runtime and
// process metrics).
//
// Guest values are read when Prometheus scrapes, from the kernel's files,
// never polled in the background: a Collector lists the guests without
// taking any lock a guest's start or a login holds for long, and reads a
// bounded number of small files of bounded size per guest. Daemon counters
// are moved by the SSH server through the hooks of [Daemon], which
// implements sshgate.Metrics without sshgate importing Prometheus.
package metrics
