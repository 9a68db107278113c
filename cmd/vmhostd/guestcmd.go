package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"vmhost/admin"
	"vmhost/config"
)

// guestHelp is the help of `vmhostd guest`.
const guestHelp = `Usage: vmhostd guest COMMAND [NAME] [flags] --config FILE

Runs the guests of a running daemon, through its admin socket
<run_dir>/vmhostd.sock (root only). NAME is a login: alice for alice's
default guest, alice+web for her guest web.

Commands:
  ls [--json]                    every guest: owner, name, state, image, address, uptime, memory
  show NAME [--json]             one guest, with the error that broke it
  start|stop|restart NAME        stop: SIGTERM to its init, SIGKILL after a grace period; files kept
  reset NAME --yes               back to its image: every file it changed is lost
  rm NAME --yes                  remove it: processes, cgroup, address and files
  exec NAME [-t] -- CMD ARGS     run CMD in it; its exit status is kept (-t: a terminal)
  stats [NAME] [--json]          memory, CPU time, processes, network bytes, disk
  limits NAME [--memory SIZE] [--cpus N] [--pids N] [--disk SIZE] [--inodes N] [--reset]
                                 change its limits live
  autostart NAME on|off|default  start it with the daemon or not; default: as its owner's

Stop, restart, reset and rm refuse a guest with SSH connections open unless
--force is given; reset and rm, which lose files, also want --yes. Run vmhostd guest COMMAND --help for a command's flags.
`

// guestCmd runs `vmhostd guest ...`.
func guestCmd(args []string) int {
	return subcommand("guest", guestHelp, args, map[string]func([]string) int{
		"ls":        guestLs,
		"list":      guestLs,
		"show":      guestShow,
		"start":     func(a []string) int { return guestLifecycle("start", a) },
		"stop":      func(a []string) int { return guestLifecycle("stop", a) },
		"restart":   func(a []string) int { return guestLifecycle("restart", a) },
		"reset":     guestReset,
		"rm":        guestRm,
		"exec":      guestExec,
		"stats":     guestStats,
		"limits":    guestLimits,
		"autostart": guestAutostart,
	})
}

// guestLs runs `vmhostd guest ls`.
func guestLs(args []string) int {
	c := newAdminCommand("guest ls", "vmhostd guest ls [--json] --config FILE",
		"Lists every guest of the daemon: owner, name, state, image, address,\nuptime and memory in use.\n", true)
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		guests, err := cl.Guests(ctx)
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(guests) })
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "OWNER\tNAME\tSTATE\tIMAGE\tADDRESS\tUPTIME\tMEMORY")
		for _, g := range guests {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Owner, g.Name, g.State, g.Image, orDash(g.Address), uptime(g), memory(g))
		}
		return w.Flush()
	})
}

// firstErr returns err, or what next returns.
func firstErr(err error, next func() error) error {
	if err != nil {
		return err
	}
	return next()
}

// uptime renders how long a running guest has run.
func uptime(g admin.Guest) string {
	if g.State != "running" || g.Started.IsZero() {
		return "-"
	}
	return (time.Duration(g.UptimeSeconds) * time.Second).String()
}

// memory renders the memory a guest uses.
func memory(g admin.Guest) string {
	if g.MemoryBytes == 0 {
		return "-"
	}
	return humanBytes(g.MemoryBytes)
}

// guestShow runs `vmhostd guest show NAME`.
func guestShow(args []string) int {
	c := newAdminCommand("guest show", "vmhostd guest show NAME [--json] --config FILE",
		"Shows one guest, with the error that made it broken.\n", true)
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		g, err := cl.Guest(ctx, c.args[0])
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(g) })
		}
		printGuest(g)
		return nil
	})
}

// printGuest prints a guest as "key: value" lines.
func printGuest(g admin.Guest) {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 1, ' ', 0)
	rows := [][2]string{
		{"guest", g.ID}, {"owner", g.Owner}, {"name", g.Name}, {"state", g.State},
		{"error", g.Error}, {"image", g.Image}, {"rootfs", g.Rootfs}, {"address", g.Address},
		{"pid", pidString(g.Pid)}, {"uptime", uptime(g)}, {"memory", memory(g)},
		{"sessions", fmt.Sprint(g.Sessions)}, {"autostart", autostartText(g)},
		{"created", g.Created.Local().Format(time.RFC3339)},
	}
	for _, r := range rows {
		if r[1] != "" && r[1] != "-" {
			fmt.Fprintf(w, "%s:\t%s\n", r[0], r[1])
		}
	}
	w.Flush()
}

func pidString(pid int) string {
	if pid == 0 {
		return ""
	}
	return fmt.Sprint(pid)
}

// guestLifecycle runs `vmhostd guest start|stop|restart NAME`.
func guestLifecycle(op string, args []string) int {
	help := map[string]string{
		"start":   "Starts the guest unless it runs.\n",
		"stop":    "Stops the guest: SIGTERM to its init, which asks every process to end,\nthen SIGKILL after a grace period. Its files are kept; it starts again on\nits next login.\n",
		"restart": "Stops the guest and starts it again.\n",
	}[op]
	c := newAdminCommand("guest "+op, "vmhostd guest "+op+" NAME [--force] --config FILE", help, false)
	force := forceFlag(c, op)
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		g, err := cl.Lifecycle(ctx, op, c.args[0], *force)
		if err == nil {
			fmt.Printf("guest %s: %s\n", g.ID, g.State)
		}
		return err
	})
}

// forceFlag adds --force, for commands refused while SSH connections are open.
func forceFlag(c *adminCommand, op string) *bool {
	if op == "start" {
		return new(bool)
	}
	return c.fs.Bool("force", false, op+" the guest even with SSH connections open")
}

// guestReset runs `vmhostd guest reset NAME --yes`.
func guestReset(args []string) int {
	c := newAdminCommand("guest reset", "vmhostd guest reset NAME --yes [--force] --config FILE",
		"Brings the guest back to the current build of its image, as new: it is\nstopped and every file it changed is dropped. Its name, address and id range\nstay. --yes confirms.\n", false)
	yes := yesFlag(c, "every file the guest changed is lost")
	force := forceFlag(c, "reset")
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	if !confirmed(*yes, "resetting guest "+c.args[0]+" drops every file it changed") {
		return 2
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		g, err := cl.Reset(ctx, c.args[0], *force)
		if err == nil {
			fmt.Printf("guest %s: reset to image %s; it starts from it on its next use\n", g.ID, g.Image)
		}
		return err
	})
}

// guestRm runs `vmhostd guest rm NAME --yes`.
func guestRm(args []string) int {
	c := newAdminCommand("guest rm", "vmhostd guest rm NAME --yes [--force] --config FILE",
		"Removes the guest: its processes, mounts, cgroup, network interface and\naddress, and its files. Nothing else is touched. --yes confirms.\n", false)
	yes := yesFlag(c, "the guest and all its files are gone")
	force := forceFlag(c, "remove")
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	if !confirmed(*yes, "removing guest "+c.args[0]+" deletes it with all its files") {
		return 2
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		err := cl.Remove(ctx, c.args[0], *force)
		if err == nil {
			fmt.Printf("guest %s: removed\n", c.args[0])
		}
		return err
	})
}

// guestStats runs `vmhostd guest stats [NAME]`.
func guestStats(args []string) int {
	c := newAdminCommand("guest stats", "vmhostd guest stats [NAME] [--json] --config FILE",
		"Shows what guests use now: memory, CPU time, processes, network bytes and\ntheir own files on their disks (used/limit); every running guest without NAME.\n", true)
	if code := c.parse(args, 0, 1); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		stats, err := cl.Stats(ctx, strings.Join(c.args, ""))
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(stats) })
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "GUEST\tSTATE\tMEMORY\tCPU\tPROCESSES\tNET RX\tNET TX\tDISK")
		for _, s := range stats {
			fmt.Fprintf(w, "%s\t%s\t%s\t%.2fs\t%d\t%s\t%s\t%s\n", s.ID, s.State, humanBytes(s.MemoryBytes),
				s.CPUSeconds, s.Processes, humanBytes(int64(s.NetRxBytes)), humanBytes(int64(s.NetTxBytes)), diskString(s))
		}
		return w.Flush()
	})
}

// guestLimits runs `vmhostd guest limits NAME --memory ... --cpus ... --pids ...`.
func guestLimits(args []string) int {
	c := newAdminCommand("guest limits", "vmhostd guest limits NAME [--memory SIZE] [--cpus N] [--pids N] [--disk SIZE] [--inodes N] [--reset] --config FILE",
		"Changes the guest's own limits, at once if it runs, and keeps them in its\nguest.json. Limits not given stay as they are; those the guest never had\nof its own are its owner's from the config. --reset goes back to the owner's.\nA disk grows, never shrinks; its inodes are counted when it is made.\n", false)
	mem := c.fs.String("memory", "", "memory `SIZE`, such as 512MiB or 1GiB")
	cpus := c.fs.Float64("cpus", 0, "host cores, such as 1.5")
	pids := c.fs.Int64("pids", 0, "most processes")
	disk := c.fs.String("disk", "", "most bytes of its own files, `SIZE` such as 10GiB")
	inodes := c.fs.Int64("inodes", 0, "most inodes of its own files")
	reset := c.fs.Bool("reset", false, "drop the guest's own limits")
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	l := admin.Limits{CPUs: *cpus, Pids: *pids, Inodes: *inodes, Reset: *reset}
	for _, f := range []struct {
		flag, value string
		dst         *int64
	}{{"memory", *mem, &l.MemoryBytes}, {"disk", *disk, &l.DiskBytes}} {
		if f.value == "" {
			continue
		}
		size, err := config.ParseSize(f.value)
		if err != nil {
			fmt.Fprintf(os.Stderr, "vmhostd: --%s: %v\n", f.flag, err)
			return 2
		}
		*f.dst = int64(size)
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		err := cl.SetLimits(ctx, c.args[0], l)
		if err == nil {
			fmt.Printf("guest %s: limits changed\n", c.args[0])
		}
		return err
	})
}

// diskString shows a guest's disk use as used/limit, or only used without a
// disk of its own.
func diskString(s admin.GuestStats) string {
	if s.DiskLimitBytes == 0 {
		return "-"
	}
	return humanBytes(s.DiskBytes) + "/" + humanBytes(s.DiskLimitBytes)
}

// yesFlag adds --yes, the confirmation of a command that loses what the
// text says.
func yesFlag(c *adminCommand, loses string) *bool {
	return c.fs.Bool("yes", false, "confirm: "+loses)
}

// confirmed reports whether a destructive command may go on; without
// --yes it says what would be lost and how to confirm.
func confirmed(yes bool, what string) bool {
	if !yes {
		fmt.Fprintf(os.Stderr, "vmhostd: %s; confirm with --yes\n", what)
	}
	return yes
}
