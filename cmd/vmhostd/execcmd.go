package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"vmhost/admin"

	"golang.org/x/term"
)

// guestExec runs `vmhostd guest exec NAME [-t] -- CMD ARGS`.
func guestExec(args []string) int {
	c := newAdminCommand("guest exec", "vmhostd guest exec NAME [-t] --config FILE -- CMD [ARGS...]",
		"Runs CMD in the guest as its root, starting the guest first if needed.\nStandard input, output and error are the command's; vmhostd exits with its\nexit status (128+N when killed by signal N). -t gives it a terminal.\n", false)
	tty := c.fs.Bool("t", false, "give the command a terminal (as ssh -t)")
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	if len(c.rest) == 0 {
		fmt.Fprintln(os.Stderr, "vmhostd: no command to run; give it after --, as in: vmhostd guest exec alice -- uname -a")
		return 2
	}
	cl, err := c.client()
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 1
	}
	st, err := runExec(cl, c.args[0], admin.ExecRequest{Argv: c.rest, TTY: *tty})
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 255
	}
	if st.Signal != 0 {
		return 128 + st.Signal
	}
	return st.Code
}

// runExec runs req in guest id with this process's standard files; with a
// terminal, stdin is put in raw mode and window sizes follow.
func runExec(cl *admin.Client, id string, req admin.ExecRequest) (admin.ExitStatus, error) {
	eio := admin.ExecIO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if req.TTY {
		req.Term = os.Getenv("TERM")
		if rows, cols, ok := windowSize(); ok {
			req.Rows, req.Cols = rows, cols
			restore, err := makeRaw(int(os.Stdin.Fd()))
			if err != nil {
				return admin.ExitStatus{}, err
			}
			defer restore()
			eio.Resize = followWindow(ctx)
		}
	}
	return cl.Exec(ctx, id, req, eio)
}

// windowSize returns the size of the terminal on stdout, if it is one.
func windowSize() (rows, cols uint16, ok bool) {
	w, h, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil || w <= 0 || h <= 0 || w > 0xffff || h > 0xffff {
		return 0, 0, false
	}
	return uint16(h), uint16(w), true
}

// followWindow sends the terminal's size at every SIGWINCH until ctx ends.
func followWindow(ctx context.Context) <-chan [2]uint16 {
	sizes := make(chan [2]uint16, 1)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(winch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				if rows, cols, ok := windowSize(); ok {
					select {
					case sizes <- [2]uint16{rows, cols}:
					default:
					}
				}
			}
		}
	}()
	return sizes
}

// makeRaw puts the terminal fd in raw mode, as cfmakeraw(3) does, and
// returns what restores it.
func makeRaw(fd int) (func(), error) {
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("making the terminal raw: %w", err)
	}
	return func() { term.Restore(fd, old) }, nil
}
