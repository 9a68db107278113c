// Package e2e tests vmhostd end to end: the real binary, built once per run,
// driven by the real OpenSSH client. Each test runs its own daemon with a
// temporary data_dir and run_dir, a free port on 127.0.0.1, and a bridge name
// and subnet of its own, and removes every guest, mount and directory it made,
// also when it fails.
//
// The tests need root (guests are real namespaces); without it they are skipped.
// Run them with `make test`, which installs the ssh client they use.
package e2e
