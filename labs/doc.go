// Package labs runs the classes of the configuration: it provisions,
// checks, resets, stops and removes every student's guests, hands files out
// and collects them back, runs a class's setup script in each new guest,
// and tells a class's status.
//
// Who runs where: everything here runs in the daemon, on the host, as root.
// Root reaches it over the admin API (vmhostd lab ...), a class's teachers
// over SSH with reserved commands (ssh tina@host ':lab status net101'), a
// student only for their own check (ssh s01@host :check); the front ends
// decide who may act on which class (see [Allowed]), this package does the
// work the same for all of them. A teacher's command never runs in a guest:
// only the class's own scripts and small fixed shell commands do, through
// the guest manager, as the guest's root.
//
// Who trusts whom: the configuration (classes, scripts) is the host admin's
// and trusted. Every guest is its student's, and untrusted: what a guest's
// processes write back (check output, collected files, exit codes) is
// bounded in size and time, cut, and made printable before it reaches a
// terminal; it is never a path on the host. Files land on the host only
// under names made from the configuration's names, created anew (O_EXCL,
// no symlink followed), never overwriting anything. A check's verdict is
// what the guest says: its student is root there and can make it pass.
package labs
