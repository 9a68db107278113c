// Package fdbudget keeps the daemon's file descriptors from running out.
//
// Everything a guest or an SSH client can make the daemon open (forwards,
// listeners, relayed connections, DNS connections) takes descriptors from a
// Budget first, and is refused when the budget is spent. The budget is the
// process's RLIMIT_NOFILE less a reserve, so that while one user sits at a
// limit the admin socket, other users' logins and the daemon's own work
// still find descriptors.
package fdbudget
