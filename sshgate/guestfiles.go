package sshgate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
	vmsession "vmhost/session"

	"github.com/pkg/sftp"

	"vmhost/guest"
)

// leftoverTimeout bounds removing a connection's socket files from its guest.
const leftoverTimeout = 10 * time.Second

// leftover is a file a connection made inside a guest (a socket, or the
// agent socket's directory), to remove when the connection ends.
type leftover struct {
	guest Guest
	path  string
}

// removeLeftovers removes the connection's socket files inside the guest, in
// the order they were recorded (a socket before its directory). A guest that
// is gone is not started again for it.
func (c *conn) removeLeftovers() {
	c.mu.Lock()
	files := c.leftover
	c.leftover = nil
	c.mu.Unlock()
	if len(files) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), leftoverTimeout)
	defer cancel()
	err := withGuestFiles(ctx, files[0].guest, func(fs *sftp.Client) error {
		var errs []error
		for _, f := range files {
			if err := fs.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("removing %s: %w", f.path, err))
			}
		}
		return errors.Join(errs...)
	})
	if err != nil {
		c.log.Warn("removing the connection's sockets from the guest", "err", err)
	}
}

// withGuestFiles runs fn with an SFTP client on the guest's own SFTP server,
// which works as the guest's root on any image.
func withGuestFiles(ctx context.Context, g Guest, fn func(*sftp.Client) error) error {
	proc, err := g.Spawn(ctx, guest.SpawnRequest{Subsystem: subsystemSFTP, Env: vmsession.Env()})
	if err == nil {
		if err = checkProcess(proc, false); err != nil && proc != nil {
			proc.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("starting sftp in the guest: %w", err)
	}
	defer proc.Close()
	stop := context.AfterFunc(ctx, func() { proc.Close() })
	defer stop()
	fs, err := sftp.NewClientPipe(proc.Stdout(), proc.Stdin())
	if err != nil {
		return fmt.Errorf("talking to sftp in the guest: %w", err)
	}
	err = fn(fs)
	fs.Close() // closes its stdin: the server ends
	proc.Wait()
	return err
}
