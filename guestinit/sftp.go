package guestinit

import (
	"fmt"
	"os"
	"runtime/debug"
	"vmhost/protocol"
	"vmhost/sftpserve"
)

// RunSFTP serves SFTP on stdin and stdout until the client is done, with
// package sftpserve. It never returns.
func RunSFTP() {
	home := "/root"
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		home = "/"
	}
	// A transfer allocates a packet buffer per 32 KiB: reuse them
	// (WithAllocator) and collect garbage less often, for less CPU per byte.
	debug.SetGCPercent(400)
	err := sftpserve.Serve(os.Stdin, os.Stdout, sftpserve.Options{
		Home:       home,
		Login:      os.Getenv(protocol.SFTPLoginEnv),
		RFCSymlink: sftpserve.RFCSymlinkClient(os.Getenv(protocol.SFTPClientVersionEnv)),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhost-sftp: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}
