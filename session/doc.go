// Package session is the one path through which every front end (the SSH
// server, the admin API's exec, and what comes next) attaches to a process
// running in a guest: its terminal or pipes, the terminal's window size, its
// signals and exit status, the draining of its output once it has ended, and
// the environment it starts with.
//
// It runs in the daemon, on the host's side; the process's files come from
// the guest's init and are checked before use (see package guest).
package session
