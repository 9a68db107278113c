// Package guest is the host's side of a guest: the Manager that creates,
// starts, stops, resets and removes guests, keeps their state on disk
// (guest.json), reattaches to the ones still running after a daemon restart,
// and reaches each one's init over its control socket. It also holds the
// lifecycle policy: which guests start with the daemon (Autostart), which
// idle ones stop (IdleStopper; a guest is busy while an SSH connection is
// open or a process other than its init runs), and live changes of a
// guest's limits (ChangeLimits), checked, applied and recorded at once. The
// admin API and the command only call it.
//
// A guest is one long-lived init (package guestinit), this very binary
// started again as PID 1 of new user, pid, mount, uts, ipc, net and cgroup
// namespaces, whose root is an overlay over an idmapped image. The daemon
// never enters a guest: it asks the init to spawn processes, dial and listen
// (Running), and gets their terminals, pipes and sockets back as file
// descriptors (package protocol).
//
// Trust: the guest side is untrusted. The daemon knows an init only by a
// pidfd it opened itself (initProc), signals and waits only through it, and
// checks every reply of the control socket (values, sizes and the kinds of
// the descriptors) before it uses it; the guest's files are opened only
// inside the guest's root (package inroot).
package guest
