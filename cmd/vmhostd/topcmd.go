package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	"vmhost/admin"
)

// topUsage is the help of `vmhostd top`.
const topUsage = "vmhostd top [--sort KEY] [--interval D] [--once] [--json] --config FILE"

// topCmd runs `vmhostd top`: a live view of the guests, redrawn in place
// every interval; keys sort it (c cpu, m memory, p pids, r rx, t tx,
// s sessions, n name) and q quits. --once prints one view, its rates over
// one interval, and ends.
func topCmd(args []string) int {
	c := newAdminCommand("top", topUsage,
		"Shows the guests live: CPU %, memory, processes, network rates and SSH\nsessions, redrawn every interval. Keys sort: c cpu, m memory, p pids,\nr rx, t tx, s sessions, n name; q quits. --once prints one view (its\nrates measured over one interval) and ends; --json prints it as JSON.\n", true)
	order := c.fs.String("sort", "cpu", "sort by `KEY`: cpu, memory, pids, rx, tx, sessions or name")
	interval := c.fs.Duration("interval", 2*time.Second, "time between views, and over which --once measures rates")
	once := c.fs.Bool("once", false, "print one view and end")
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	if _, ok := topSorts[*order]; !ok || *interval < 100*time.Millisecond {
		fmt.Fprintf(os.Stderr, "vmhostd top: --sort is one of cpu, memory, pids, rx, tx, sessions, name, and --interval at least 100ms\n")
		return 2
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		if *once || *c.json {
			return topOnce(ctx, cl, *order, *interval, *c.json)
		}
		return topLive(ctx, cl, *order, *interval)
	})
}

// takeSample asks the daemon for its guests and their stats.
func takeSample(ctx context.Context, cl *admin.Client) (*topSample, error) {
	guests, err := cl.Guests(ctx)
	if err != nil {
		return nil, err
	}
	stats, err := cl.Stats(ctx, "")
	if err != nil {
		return nil, err
	}
	s := &topSample{at: time.Now(), guests: guests, stats: make(map[string]admin.GuestStats, len(stats))}
	for _, st := range stats {
		s.stats[st.ID] = st
	}
	return s, nil
}

// topOnce prints one view, with rates over interval.
func topOnce(ctx context.Context, cl *admin.Client, order string, interval time.Duration, asJSON bool) error {
	prev, err := takeSample(ctx, cl)
	if err != nil {
		return err
	}
	time.Sleep(interval)
	cur, err := takeSample(ctx, cl)
	if err != nil {
		return err
	}
	rows := topRows(prev, cur)
	sortRows(rows, order)
	if asJSON {
		return printJSON(rows)
	}
	return writeTop(os.Stdout, rows, 0)
}

// topLive redraws the view every interval until q, Ctrl-C or SIGTERM.
func topLive(ctx context.Context, cl *admin.Client, order string, interval time.Duration) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	keys := make(chan byte, 8)
	if restore, err := rawInput(keys); err == nil {
		defer restore()
	}
	fmt.Print("\x1b[?1049h\x1b[?25l") // the alternate screen, no cursor
	defer fmt.Print("\x1b[?25h\x1b[?1049l")
	var prev *topSample
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		cur, err := takeSample(ctx, cl)
		if err != nil {
			return err
		}
		drawTop(topRows(prev, cur), order, interval)
		prev = cur
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case k := <-keys:
			if k == 'q' || k == 3 { // q, Ctrl-C in raw mode
				return nil
			}
			if o, ok := topKeys[k]; ok {
				order = o
			}
		}
	}
}

// drawTop redraws the screen in place with rows, as many as fit.
func drawTop(rows []topRow, order string, interval time.Duration) {
	sortRows(rows, order)
	_, height, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil || height < 4 {
		height = 24
	}
	fmt.Print("\x1b[H\x1b[2J")
	fmt.Printf("vmhostd top: %d guests, sorted by %s, every %v (c m p r t s n sort, q quits)\r\n\r\n", len(rows), order, interval)
	var b crlfWriter
	writeTop(&b, rows, height-4)
	os.Stdout.Write(b.buf)
}

// crlfWriter collects text with every newline made CRLF, for a terminal
// in raw mode.
type crlfWriter struct{ buf []byte }

// Write implements io.Writer.
func (w *crlfWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			w.buf = append(w.buf, '\r')
		}
		w.buf = append(w.buf, c)
	}
	return len(p), nil
}

// rawInput puts the terminal on stdin in raw mode and sends each key read
// to keys; the returned function restores the terminal. It fails when
// stdin is not a terminal.
func rawInput(keys chan<- byte) (func(), error) {
	fd := int(os.Stdin.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	go func() {
		buf := make([]byte, 16)
		for {
			n, err := os.Stdin.Read(buf)
			if err != nil {
				return
			}
			for _, k := range buf[:n] {
				select {
				case keys <- k:
				default:
				}
			}
		}
	}()
	return func() { term.Restore(fd, old) }, nil
}
