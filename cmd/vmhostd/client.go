package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"vmhost/admin"
	"vmhost/config"
)

// adminCommand is one admin subcommand: its flags, usage and what it runs.
type adminCommand struct {
	fs     *flag.FlagSet
	config *string
	json   *bool // nil for commands that do not list
	args   []string
	rest   []string // after --
}

// newAdminCommand returns the flags of an admin subcommand, with --config
// and, for commands that list, --json.
func newAdminCommand(name, usageLine, help string, lists bool) *adminCommand {
	fs, path := commandFlags(name, usageLine)
	c := &adminCommand{fs: fs, config: path}
	if lists {
		c.json = fs.Bool("json", false, "print JSON instead of a table")
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\nFlags:\n", usageLine, help)
		fs.PrintDefaults()
	}
	return c
}

// parse parses args, flags anywhere among the operands, up to a "--" after
// which everything is rest. It returns the exit code to end with, or -1 to
// go on.
func (c *adminCommand) parse(args []string, minArgs, maxArgs int) int {
	for {
		if code := parseFlags(c.fs, args); code >= 0 {
			return code
		}
		left := c.fs.Args()
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			c.rest = left
			break
		}
		if len(left) == 0 {
			break
		}
		c.args, args = append(c.args, left[0]), left[1:]
	}
	if len(c.args) < minArgs || len(c.args) > maxArgs {
		c.fs.Usage()
		return 2
	}
	return -1
}

// client returns a client of the daemon that --config names.
func (c *adminCommand) client() (*admin.Client, error) {
	socket, err := socketPath(*c.config)
	if err != nil {
		return nil, err
	}
	return admin.NewClient(socket), nil
}

// run runs fn with a client, printing its error; it returns the exit code.
func (c *adminCommand) run(fn func(ctx context.Context, cl *admin.Client) error) int {
	cl, err := c.client()
	if err == nil {
		err = fn(context.Background(), cl)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 1
	}
	return 0
}

// printJSON prints v as indented JSON.
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// socketPath finds the admin socket of the daemon run with the config file
// path: <run_dir>/vmhostd.sock. Only run_dir is read, so that a config
// being edited, with an error elsewhere, still finds its daemon (to be told
// of that error by vmhostd reload).
func socketPath(path string) (string, error) {
	data, err := readHead(path, config.MaxFileSize+1)
	if err != nil {
		return "", fmt.Errorf("reading config to find the daemon's run_dir: %w", err)
	}
	if len(data) > config.MaxFileSize {
		return "", fmt.Errorf("%s is larger than %d MiB, the most a configuration may be; is this the configuration file?", path, config.MaxFileSize>>20)
	}
	var c struct {
		RunDir string `yaml:"run_dir"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return "", fmt.Errorf("reading run_dir from %s: %w", path, err)
	}
	dir := c.RunDir
	if dir == "" {
		dir = config.DefaultRunDir
	}
	if !filepath.IsAbs(dir) {
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", err
		}
		dir = filepath.Join(filepath.Dir(abs), dir)
	}
	return filepath.Join(dir, admin.SocketName), nil
}

// readHead reads at most n bytes of the file at path.
func readHead(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// isNoDaemon reports whether err says that no daemon answers.
func isNoDaemon(err error) bool {
	return errors.Is(err, admin.ErrNoDaemon)
}

// subcommand dispatches args[0] among cmds, printing help for help and for
// an unknown subcommand.
func subcommand(name, help string, args []string, cmds map[string]func([]string) int) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		out := os.Stderr
		if len(args) > 0 {
			out = os.Stdout
		}
		fmt.Fprint(out, help)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "vmhostd %s: unknown command %q\n\n%s", name, args[0], help)
		return 2
	}
	return fn(args[1:])
}

// orDash returns s, or "-" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes renders a byte count as 1.5GiB, 12MiB, 900KiB or 10B.
func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 || f >= 100 {
		return fmt.Sprintf("%.0f%s", f, units[i])
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") + units[i]
}
