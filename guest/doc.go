// Package guest runs guests: each one a long-lived init, started from this very
// binary in a hidden child role as PID 1 of new user, pid, mount, uts, ipc, net
// and cgroup namespaces, whose root is an overlay over an idmapped image.
//
// The daemon never enters a guest. It asks the guest's init, over a control
// socket on the host side, to spawn processes, and gets their terminals or
// pipes back as file descriptors (see Dial and the protocol in protocol.go).
// A Manager keeps the guests' state on disk (guest.json), starts them on
// demand and reattaches to the ones still running after a daemon restart.
package guest
