package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"vmhost/admin"
	"vmhost/labs"
)

// labHelp is the help of `vmhostd lab`.
const labHelp = `Usage: vmhostd lab COMMAND CLASS [ARGS] [flags] --config FILE

Runs the classes of the daemon's configuration, through its admin socket
(root only). A class's teachers run the same over SSH: ssh TEACHER@host ':lab help'.

Commands:
  ls [--json]                          the classes: teachers, students, hosts, guests
  status CLASS [STUDENT] [--json]      each student's guests: state, connections, last
                                       login and activity, setup and last check
  provision CLASS [STUDENT]            make and start the guests, a few at a time
                                       (setup runs in each new one)
  check CLASS [STUDENT] [--json|--csv] run the check script in each guest; the run is
                                       kept under <data_dir>/labs/CLASS/checks/
  reset CLASS [STUDENT] --yes          back to the image and setup run again; files lost
  stop CLASS [STUDENT]                 stop the guests; files kept
  rm CLASS --yes                       remove every student's guests and their files
  distribute CLASS FILE PATH [STUDENT] FILE (at most 1 MiB) into PATH in each guest
  collect CLASS PATH DIR [STUDENT]     PATH from each guest into DIR/STUDENT/NAME
                                       (DIR/STUDENT/HOST/NAME for hosts but the first);
                                       missing files listed, nothing overwritten

Exit status: 0 when every guest succeeded (passed, for check), 1 otherwise
or on an error, 2 for a bad command line.
`

// labCmd runs `vmhostd lab ...`.
func labCmd(args []string) int {
	return subcommand("lab", labHelp, args, map[string]func([]string) int{
		"ls":         labLs,
		"list":       labLs,
		"status":     labStatus,
		"provision":  func(a []string) int { return labOp("provision", a) },
		"check":      func(a []string) int { return labOp("check", a) },
		"reset":      func(a []string) int { return labOp("reset", a) },
		"stop":       func(a []string) int { return labOp("stop", a) },
		"rm":         func(a []string) int { return labOp("rm", a) },
		"distribute": labDistribute,
		"collect":    labCollect,
	})
}

// labLs runs `vmhostd lab ls`.
func labLs(args []string) int {
	c := newAdminCommand("lab ls", "vmhostd lab ls [--json] --config FILE", "Lists the classes.\n", true)
	if code := c.parse(args, 0, 0); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		classes, err := cl.Classes(ctx)
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(classes) })
		}
		return labs.WriteClasses(os.Stdout, classes)
	})
}

// labStatus runs `vmhostd lab status CLASS [STUDENT]`.
func labStatus(args []string) int {
	c := newAdminCommand("lab status", "vmhostd lab status CLASS [STUDENT] [--json] --config FILE",
		"Shows each guest of the class's students: state, SSH connections open,\nlast login and activity, setup and last check.\n", true)
	if code := c.parse(args, 1, 2); code >= 0 {
		return code
	}
	return c.run(func(ctx context.Context, cl *admin.Client) error {
		rows, err := cl.LabStatus(ctx, c.args[0], arg(c.args, 1))
		if err != nil || *c.json {
			return firstErr(err, func() error { return printJSON(rows) })
		}
		return labs.WriteStatus(os.Stdout, rows, time.Now())
	})
}

// arg returns args[i], or "".
func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// labFlags are the flags of the commands that make a report.
type labFlags struct {
	*adminCommand
	csv, yes *bool
}

// newLabCommand returns the flags of `vmhostd lab NAME`.
func newLabCommand(name, usageLine, help string) labFlags {
	c := labFlags{adminCommand: newAdminCommand("lab "+name, usageLine, help, true)}
	c.csv = c.fs.Bool("csv", false, "print CSV instead of a table")
	c.yes = c.fs.Bool("yes", false, "confirm an operation that loses files")
	return c
}

// format is the report format the flags ask for.
func (c labFlags) format() string {
	switch {
	case *c.json:
		return labs.FormatJSON
	case *c.csv:
		return labs.FormatCSV
	}
	return labs.FormatTable
}

// progress is where progress lines go: stdout under a table, stderr
// otherwise.
func (c labFlags) progress() io.Writer {
	if c.format() == labs.FormatTable {
		return os.Stdout
	}
	return os.Stderr
}

// runReport runs fn and prints its report; the exit code says whether
// every guest succeeded.
func (c labFlags) runReport(fn func(ctx context.Context, cl *admin.Client) (labs.Report, error)) int {
	code := 0
	if rc := c.run(func(ctx context.Context, cl *admin.Client) error {
		rep, err := fn(ctx, cl)
		if err != nil {
			return err
		}
		code = labs.ReportCode(rep)
		return labs.WriteReport(os.Stdout, rep, c.format())
	}); rc != 0 {
		return rc
	}
	return code
}

// labOps are the usage lines of the report operations.
var labOpUsage = map[string]string{
	"provision": "vmhostd lab provision CLASS [STUDENT] --config FILE",
	"check":     "vmhostd lab check CLASS [STUDENT] [--json|--csv] --config FILE",
	"reset":     "vmhostd lab reset CLASS [STUDENT] --yes --config FILE",
	"stop":      "vmhostd lab stop CLASS [STUDENT] --config FILE",
	"rm":        "vmhostd lab rm CLASS --yes --config FILE",
}

// labOp runs `vmhostd lab OP CLASS [STUDENT]`.
func labOp(op string, args []string) int {
	c := newLabCommand(op, labOpUsage[op], "Runs "+op+" on every guest of the class's students; see vmhostd lab help.\n")
	max := 2
	if op == "rm" {
		max = 1
	}
	if code := c.parse(args, 1, max); code >= 0 {
		return code
	}
	if (op == "reset" || op == "rm") && !*c.yes {
		fmt.Fprintf(os.Stderr, "vmhostd: %s loses the students' files; confirm it with --yes\n", op)
		return 2
	}
	return c.runReport(func(ctx context.Context, cl *admin.Client) (labs.Report, error) {
		return cl.LabOp(ctx, op, c.args[0], arg(c.args, 1), *c.yes, c.progress())
	})
}

// labDistribute runs `vmhostd lab distribute CLASS FILE PATH [STUDENT]`.
func labDistribute(args []string) int {
	c := newLabCommand("distribute", "vmhostd lab distribute CLASS FILE PATH [STUDENT] --config FILE",
		"Writes FILE (at most 1 MiB) as PATH in every guest of the class's students,\nmaking its directories; a guest not made yet is made.\n")
	if code := c.parse(args, 3, 4); code >= 0 {
		return code
	}
	data, err := readFileAtMost(c.args[1], labs.MaxDistribute)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 1
	}
	return c.runReport(func(ctx context.Context, cl *admin.Client) (labs.Report, error) {
		return cl.Distribute(ctx, c.args[0], arg(c.args, 3), c.args[2], data, c.progress())
	})
}

// readFileAtMost reads the file at path, refusing more than max bytes.
func readFileAtMost(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	case len(data) > max:
		return nil, fmt.Errorf("%s is larger than %d bytes, the most distribute hands out", path, max)
	}
	return data, nil
}

// labCollect runs `vmhostd lab collect CLASS PATH DIR [STUDENT]`.
func labCollect(args []string) int {
	c := newLabCommand("collect", "vmhostd lab collect CLASS PATH DIR [STUDENT] --config FILE",
		"Copies PATH out of every guest of the class's students into DIR/STUDENT/NAME\n(DIR/STUDENT/HOST/NAME for the hosts after the first). Missing files are\nlisted; a file already in DIR is never overwritten.\n")
	if code := c.parse(args, 3, 4); code >= 0 {
		return code
	}
	dir, err := filepath.Abs(c.args[2])
	if err == nil {
		var sink *labs.DirSink
		if sink, err = labs.NewDirSink(dir); err == nil {
			defer sink.Close()
			return c.runReport(func(ctx context.Context, cl *admin.Client) (labs.Report, error) {
				return cl.Collect(ctx, c.args[0], arg(c.args, 3), c.args[1], sink, c.progress())
			})
		}
	}
	fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
	return 1
}
