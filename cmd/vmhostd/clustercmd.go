package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"vmhost/admin"
	"vmhost/config"
)

// clusterHelp is the help of `vmhostd cluster`.
const clusterHelp = `Usage: vmhostd cluster COMMAND [ARGS] [flags] --config FILE

The guests assigned to this node in the cluster agent role (cluster.listen
set), through the daemon's admin socket (root only). A login from a gateway
reaches only an assigned guest; vmhost-kube agent assigns them from the
cluster's Guest resources.

Commands:
  assign OWNER NAME --image IMAGE [--cpus N] [--memory SIZE] [--disk SIZE] [--pids N] [--volume DIR]
                                 assign the guest (or change its assignment);
                                 limits left out are defaults.limits; with
                                 --volume, its files live on the volume at DIR
  unassign OWNER NAME [--remove] stop the guest and drop its assignment; its
                                 files are kept unless --remove (a volume's
                                 files are always kept)
  ls [--json]                    the assigned guests: image, limits, state, addresses

The owner's default guest is named as its owner: vmhostd cluster assign alice alice ...
`

// clusterCmd runs `vmhostd cluster ...`.
func clusterCmd(args []string) int {
	return subcommand("cluster", clusterHelp, args, map[string]func([]string) int{
		"assign":   clusterAssign,
		"unassign": clusterUnassign,
		"ls":       clusterList,
		"list":     clusterList,
	})
}

// clusterAssign runs `vmhostd cluster assign OWNER NAME --image IMAGE ...`.
func clusterAssign(args []string) int {
	c := newAdminCommand("cluster assign", "vmhostd cluster assign OWNER NAME --image IMAGE [--cpus N] [--memory SIZE] [--disk SIZE] [--pids N] [--volume DIR] --config FILE",
		"Assigns the owner's guest NAME to this node, from IMAGE (defined in the\nconfig) with those limits; limits left out are defaults.limits. Assigning\nit again changes its limits, at once if it runs. With --volume, the guest\nkeeps its files on the volume mounted at DIR, with the ids it sees, so that\nanother node given the same volume has them (from its next start).\n", false)
	image := c.fs.String("image", "", "the `IMAGE` of the guest, defined under images:")
	cpus := c.fs.Float64("cpus", 0, "host cores, such as 1.5")
	mem := c.fs.String("memory", "", "memory `SIZE`, such as 512MiB or 1GiB")
	disk := c.fs.String("disk", "", "most bytes of its own files, `SIZE` such as 10GiB")
	pids := c.fs.Int64("pids", 0, "most processes")
	volume := c.fs.String("volume", "", "the `DIR` where the guest's volume is mounted on this node")
	if code := c.parse(args, 2, 2); code >= 0 {
		return code
	}
	if *image == "" {
		fmt.Fprintln(os.Stderr, "vmhostd: cluster assign needs --image IMAGE")
		return 2
	}
	req := admin.ClusterAssign{Owner: c.args[0], Name: c.args[1], Image: *image, Volume: *volume, Limits: admin.Limits{CPUs: *cpus, Pids: *pids}}
	for _, f := range []struct {
		flag, value string
		dst         *int64
	}{{"memory", *mem, &req.Limits.MemoryBytes}, {"disk", *disk, &req.Limits.DiskBytes}} {
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
		g, err := cl.Assign(ctx, req)
		if err == nil {
			fmt.Printf("guest %s: assigned to this node (%s)\n", g.ID, g.State)
		}
		return err
	})
}

// clusterUnassign runs `vmhostd cluster unassign OWNER NAME [--remove]`.
func clusterUnassign(args []string) int {
	c := newAdminCommand("cluster unassign", "vmhostd cluster unassign OWNER NAME [--remove] --config FILE",
		"Drops the assignment of the owner's guest NAME and stops it, its sessions\nwith it. Its files stay on this node unless --remove.\n", false)
	remove := c.fs.Bool("remove", false, "remove the guest's files too")
	if code := c.parse(args, 2, 2); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		u, err := cl.Unassign(ctx, admin.ClusterUnassign{Owner: c.args[0], Name: c.args[1], Remove: *remove})
		if err != nil {
			return err
		}
		what := "files kept"
		if u.Removed {
			what = "files removed"
		}
		fmt.Printf("guest %s: unassigned, stopped; %s\n", u.ID, what)
		return nil
	})
}

// clusterList runs `vmhostd cluster ls`.
func clusterList(args []string) int {
	c := newAdminCommand("cluster ls", "vmhostd cluster ls [--json] --config FILE",
		"Lists the guests assigned to this node: image, limits, state and addresses.\n", true)
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		list, err := cl.ClusterGuests(ctx)
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(list) })
		}
		return writeClusterGuests(os.Stdout, list)
	})
}

// writeClusterGuests prints the assigned guests as a table.
func writeClusterGuests(out io.Writer, list []admin.ClusterGuest) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GUEST\tIMAGE\tCPUS\tMEMORY\tDISK\tPIDS\tSTATE\tADDRESS\tADDRESS6")
	for _, g := range list {
		l := g.Limits
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.Image, orDefault(l.CPUs != 0, strconv.FormatFloat(l.CPUs, 'g', -1, 64)),
			orDefault(l.MemoryBytes != 0, config.Size(l.MemoryBytes).String()), orDefault(l.DiskBytes != 0, config.Size(l.DiskBytes).String()),
			orDefault(l.Pids != 0, strconv.FormatInt(l.Pids, 10)), g.State, orDash(g.Address), orDash(g.Address6))
	}
	return w.Flush()
}

// orDefault returns s when set, else "default" (defaults.limits).
func orDefault(set bool, s string) string {
	if set {
		return s
	}
	return "default"
}
