package guestinit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/pkg/sftp"
)

// RunSFTP serves SFTP on stdin and stdout until the client is done. It never
// returns.
func RunSFTP() {
	home := "/root"
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		home = "/"
	}
	// A transfer allocates a packet buffer per 32 KiB: reuse them
	// (WithAllocator) and collect garbage less often, for less CPU per byte.
	debug.SetGCPercent(400)
	srv, err := sftp.NewServer(stdio{os.Stdin, os.Stdout}, sftp.WithServerWorkingDirectory(home), sftp.WithAllocator())
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhost-sftp: %v\n", err)
		os.Exit(1)
	}
	err = srv.Serve()
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(os.Stderr, "vmhost-sftp: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// stdio is the SFTP channel: the process's stdin and stdout.
type stdio struct {
	io.Reader
	io.WriteCloser
}
