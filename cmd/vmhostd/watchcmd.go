package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"vmhost/admin"
)

// leaveKey is the key that leaves a watched or joined session: Ctrl-], as
// telnet's escape.
const leaveKey = 0x1d

// sessionWatch runs `vmhostd session watch ID`.
func sessionWatch(args []string) int { return sessionFollow(args, false) }

// sessionJoin runs `vmhostd session join ID`.
func sessionJoin(args []string) int { return sessionFollow(args, true) }

// sessionFollow shows a kept session on this terminal, read-only or joined.
func sessionFollow(args []string, join bool) int {
	verb, what := "watch", "Shows a kept session (GUEST/N, as session ls shows it) on this terminal, read-only:\nits screen as it is, then what it shows. Its user is told. Ctrl-] leaves.\n"
	if join {
		verb, what = "join", "Joins a kept session (GUEST/N, as session ls shows it): its screen on this\nterminal, and what you type goes to it. Its user is told. Ctrl-] leaves.\n"
	}
	c := newAdminCommand("session "+verb, "vmhostd session "+verb+" GUEST/N --config FILE", what, false)
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	guest, n, err := parseSessionID(c.args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 2
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var keys io.Reader
		if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
			restore, err := makeRaw(fd)
			if err != nil {
				return err
			}
			defer restore()
			keys = &leaveReader{r: os.Stdin, leave: cancel}
			fmt.Fprintf(os.Stderr, "vmhost: %sing session %d of %s; Ctrl-] leaves\r\n", verb, n, guest)
		} else if join {
			keys = os.Stdin
		}
		return cl.Watch(ctx, guest, n, join, keys, os.Stdout)
	})
}

// parseSessionID reads GUEST/N.
func parseSessionID(id string) (string, int, error) {
	guest, num, ok := strings.Cut(id, "/")
	n, err := strconv.Atoi(num)
	if !ok || guest == "" || err != nil || n < 1 {
		return "", 0, fmt.Errorf("%q is not a session: write GUEST/N, as vmhostd session ls shows it (alice/3)", id)
	}
	return guest, n, nil
}

// leaveReader reads keys until leaveKey, which calls leave and ends them.
type leaveReader struct {
	r     io.Reader
	leave func()
	left  bool
}

// Read implements io.Reader.
func (l *leaveReader) Read(p []byte) (int, error) {
	if l.left {
		return 0, io.EOF
	}
	n, err := l.r.Read(p)
	if i := bytes.IndexByte(p[:n], leaveKey); i >= 0 {
		l.left = true
		l.leave()
		return i, nil
	}
	return n, err
}
