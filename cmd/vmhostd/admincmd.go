package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"vmhost/admin"
	"vmhost/images"
	"vmhost/reserve"
)

// imageHelp is the help of `vmhostd image`.
const imageHelp = `Usage: vmhostd image COMMAND [NAME] [flags] --config FILE

Commands:
  ls [--json]              built images, their source, build and guests
  build NAME [--rebuild]   build an image the config defines, showing progress;
                           --rebuild builds it again: new guests get the new
                           build, existing guests keep theirs
  rm NAME                  remove an image and its builds; refused while guests use it

build goes through the running daemon when one answers on its admin socket
(it then uses the daemon's configuration); with no daemon, it builds here,
from --config. ls and rm need the daemon.
`

// imageCmd runs `vmhostd image ...`.
func imageCmd(args []string) int {
	return subcommand("image", imageHelp, args, map[string]func([]string) int{
		"ls":    imageLs,
		"list":  imageLs,
		"build": imageBuild,
		"rm":    imageRm,
	})
}

// imageLs runs `vmhostd image ls`.
func imageLs(args []string) int {
	c := newAdminCommand("image ls", "vmhostd image ls [--json] --config FILE",
		"Lists the built images: name, source, current build and the guests made from them.\n", true)
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		imgs, err := cl.Images(ctx)
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(imgs) })
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tSOURCE\tBUILD\tBUILT\tGUESTS")
		for _, img := range imgs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", img.Name, img.Source, orDash(img.Build),
				img.Built.Local().Format(time.DateTime), orDash(strings.Join(img.Guests, ",")))
		}
		return w.Flush()
	})
}

// imageBuild runs `vmhostd image build NAME`: through the daemon when one
// answers, here otherwise.
func imageBuild(args []string) int {
	c := newAdminCommand("image build", "vmhostd image build NAME [--rebuild] --config FILE",
		"Builds an image the config defines, showing progress; an image already\nbuilt is left as it is unless --rebuild. Through the running daemon when\none answers, here otherwise.\n", false)
	rebuild := c.fs.Bool("rebuild", false, "build it again even if it is built")
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	name := c.args[0]
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		img, err := cl.BuildImage(ctx, name, *rebuild, os.Stdout)
		if isNoDaemon(err) {
			return buildHere(ctx, *c.config, name, *rebuild)
		}
		if err == nil {
			fmt.Printf("image %s ready in %s\n", img.Name, img.Rootfs)
		}
		return err
	})
}

// buildHere builds image name from the config file path in this process.
func buildHere(ctx context.Context, path, name string, rebuild bool) error {
	cfg, ok := loadConfig(path)
	if !ok {
		return fmt.Errorf("the configuration has errors")
	}
	spec, ok := cfg.Images[name]
	if !ok {
		return fmt.Errorf("image %q is not defined in %s", name, cfg.Path)
	}
	store := images.NewStore(filepath.Join(cfg.DataDir, "images"), slog.New(slog.NewTextHandler(os.Stderr, nil)))
	store.SetReserve(func() error { return reserve.Check(cfg.DataDir, cfg.Storage) })
	build := store.Ensure
	if rebuild {
		build = store.Rebuild
	}
	img, err := build(ctx, name, spec, os.Stdout)
	if err != nil {
		return err
	}
	fmt.Printf("image %s ready in %s\n", img.Name, img.Rootfs)
	return nil
}

// imageRm runs `vmhostd image rm NAME`.
func imageRm(args []string) int {
	c := newAdminCommand("image rm", "vmhostd image rm NAME --config FILE",
		"Removes an image and all its builds. Refused while guests use it: the\nerror names them.\n", false)
	if code := c.parse(args, 1, 1); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		err := cl.RemoveImage(ctx, c.args[0])
		if err == nil {
			fmt.Printf("image %s: removed\n", c.args[0])
		}
		return err
	})
}

// userHelp is the help of `vmhostd user`.
const userHelp = `Usage: vmhostd user ls [--json] --config FILE

Lists the users of the daemon's configuration: image, max_guests, keys,
limits, autostart, idle_stop and guests.
`

// userCmd runs `vmhostd user ...`.
func userCmd(args []string) int {
	return subcommand("user", userHelp, args, map[string]func([]string) int{"ls": userLs, "list": userLs})
}

// userLs runs `vmhostd user ls`.
func userLs(args []string) int {
	c := newAdminCommand("user ls", "vmhostd user ls [--json] --config FILE", "Lists the users of the daemon's configuration.\n", true)
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		users, err := cl.Users(ctx)
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(users) })
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "USER\tIMAGE\tMAX\tKEYS\tMEMORY\tCPUS\tPIDS\tDISK\tAUTOSTART\tIDLE STOP\tGUESTS")
		for _, u := range users {
			keys := fmt.Sprint(u.Keys)
			if u.KeysFile != "" {
				keys += "+file"
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%v\t%s\t%s\n", u.Name, u.Image, u.MaxGuests, keys,
				limitString(u.Limits.MemoryBytes != 0, humanBytes(u.Limits.MemoryBytes)),
				limitString(u.Limits.CPUs != 0, fmt.Sprint(u.Limits.CPUs)),
				limitString(u.Limits.Pids != 0, fmt.Sprint(u.Limits.Pids)),
				limitString(u.Limits.DiskBytes != 0, humanBytes(u.Limits.DiskBytes)),
				u.Autostart, orDash(u.IdleStop), orDash(strings.Join(u.Guests, ",")))
		}
		return w.Flush()
	})
}

// limitString returns s when set, "-" otherwise.
func limitString(set bool, s string) string {
	if !set {
		return "-"
	}
	return s
}

// reloadCmd runs `vmhostd reload`.
func reloadCmd(args []string) int {
	c := newAdminCommand("reload", "vmhostd reload --config FILE",
		"Makes the running daemon read its configuration file again, as SIGHUP does:\nusers, keys, images, defaults and limits change at once, running sessions\ngo on. A file with an error is refused, with the error, and the daemon keeps\nthe configuration it had. listen, data_dir, run_dir, network, ssh and guests\ntake effect at the next start.\n", false)
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		res, err := cl.Reload(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("reloaded %s\n", res.Config)
		if len(res.Restart) > 0 {
			fmt.Printf("changed, in effect after a restart of the daemon: %s\n", strings.Join(res.Restart, ", "))
		}
		return nil
	})
}
