package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"vmhost/admin"
	"vmhost/session/asciicast"
)

// sessionHelp is the help of `vmhostd session`.
const sessionHelp = `Usage: vmhostd session COMMAND [flags] --config FILE

The terminal sessions of the running daemon: those it keeps (attached, or
detached and waiting for their user to log in again) and the recordings of
users with record: true.

Commands:
  ls [--guest NAME] [--json]       live sessions and recordings
  play ID [--speed X] [--idle-limit D]
                                   replay a recording on this terminal, with its timing
  watch GUEST/N                    show a kept session live, read-only (Ctrl-] leaves)
  join GUEST/N                     the same, typing into it too

Run vmhostd session COMMAND --help for a command's flags.
`

// sessionCmd runs `vmhostd session ...`.
func sessionCmd(args []string) int {
	return subcommand("session", sessionHelp, args, map[string]func([]string) int{
		"ls": sessionLs, "list": sessionLs, "play": sessionPlay, "watch": sessionWatch, "join": sessionJoin,
	})
}

// sessionLs runs `vmhostd session ls`.
func sessionLs(args []string) int {
	c := newAdminCommand("session ls", "vmhostd session ls [--guest NAME] [--json] --config FILE",
		"Lists the kept terminal sessions (guest, number, attached or detached, since when,\nsize, command) and the recordings (ID, guest, start, size).\n", true)
	guest := c.fs.String("guest", "", "only the sessions of this guest (alice, alice+web)")
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		list, err := cl.Sessions(ctx, *guest)
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(list) })
		}
		return printSessions(list)
	})
}

// printSessions prints the live sessions, then the recordings, as tables.
func printSessions(list admin.SessionList) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GUEST\tSESSION\tSTATE\tSINCE\tSIZE\tCOMMAND")
	for _, s := range list.Live {
		state := "detached"
		if s.Attached {
			state = "attached"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%dx%d\t%s\n", s.Guest, s.Session, state, s.Since.Local().Format(time.DateTime),
			s.Cols, s.Rows, orDash(s.Command))
	}
	fmt.Fprintln(w, "\nRECORDING\tGUEST\tSTARTED\tSIZE")
	for _, r := range list.Recordings {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.ID, r.Guest, r.Started.Local().Format(time.DateTime), humanBytes(r.Bytes))
	}
	return w.Flush()
}

// sessionPlay runs `vmhostd session play ID`.
func sessionPlay(args []string) int {
	c := newAdminCommand("session play", "vmhostd session play ID [--speed X] [--idle-limit D] --config FILE",
		"Replays a recording (an ID as session ls shows it) on this terminal, with its timing.\nThe file is asciicast v2: asciinema play reads it too.\n", false)
	speed := c.fs.Float64("speed", 1, "play this many times faster")
	idle := c.fs.Duration("idle-limit", 2*time.Second, "wait at most this long between events (0: as recorded)")
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	if *speed <= 0 {
		fmt.Fprintln(os.Stderr, "vmhostd: --speed must be above 0")
		return 2
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		rc, err := cl.Recording(ctx, c.args[0])
		if err != nil {
			return err
		}
		defer rc.Close()
		return asciicast.Play(rc, os.Stdout, *speed, *idle, time.Sleep)
	})
}
