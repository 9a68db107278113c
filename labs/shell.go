package labs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// IO is where a reserved SSH command reads and writes: the session's
// input, output and error output (the same terminal with TTY).
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	TTY      bool
}

// Shell runs the reserved SSH commands of classes, in the daemon: a
// teacher's ":lab ..." and a student's ":check".
type Shell struct {
	svc *Service
}

// NewShell returns the shell of svc.
func NewShell(svc *Service) *Shell { return &Shell{svc: svc} }

// LabHelp is the help of ":lab".
const LabHelp = `Usage: ssh TEACHER@host ':lab COMMAND CLASS [ARGS] [FLAGS]'

  ls [--json]                          the classes you teach
  status CLASS [STUDENT] [--json]      each student's guests: state, connections, last login
                                       and activity, setup and last check
  provision CLASS [STUDENT]            make and start the guests (setup runs in new ones)
  check CLASS [STUDENT] [--json|--csv] run the check script in each guest; the run is kept
  reset CLASS [STUDENT] --yes          back to the image, setup run again; files are lost
  stop CLASS [STUDENT]                 stop the guests; files are kept
  rm CLASS --yes                       remove every student's guests and their files
  distribute CLASS PATH [STUDENT]      the file on standard input into PATH in each guest
  collect CLASS PATH [STUDENT]         PATH from each guest, as a tar stream on standard
                                       output: STUDENT/NAME, STUDENT/HOST/NAME for other hosts
`

// labArgs is a parsed ":lab" command line.
type labArgs struct {
	op      string
	args    []string // operands after op
	format  string
	yes     bool
	helpful bool // --help
}

// parseLab parses ":lab" arguments: operands and flags in any order.
func parseLab(args []string) (labArgs, error) {
	a := labArgs{format: FormatTable}
	for _, f := range args {
		switch f {
		case "--json", "-json":
			a.format = FormatJSON
		case "--csv", "-csv":
			a.format = FormatCSV
		case "--yes", "-yes", "-y":
			a.yes = true
		case "--help", "-help", "-h", "help":
			a.helpful = true
		default:
			if strings.HasPrefix(f, "-") {
				return a, usageError{fmt.Sprintf("unknown flag %s", printable(f, 40))}
			}
			if a.op == "" {
				a.op = f
			} else {
				a.args = append(a.args, f)
			}
		}
	}
	return a, nil
}

// usageError is a command line that makes no sense: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// operands returns a's operands when there are from min to max of them.
func (a labArgs) operands(min, max int, usage string) ([]string, error) {
	if len(a.args) < min || len(a.args) > max {
		return nil, usageError{"usage: :lab " + usage}
	}
	return append(a.args, make([]string, max-len(a.args))...), nil
}

// Lab runs ":lab ARGS" for user, a teacher, and returns the exit code: 0,
// 1 when it failed or refused or a guest failed, 2 for a bad command
// line. Only the classes user teaches are reachable.
func (sh *Shell) Lab(ctx context.Context, user string, args []string, io IO) int {
	a, err := parseLab(args)
	if err == nil && (a.helpful || a.op == "") {
		fmt.Fprint(io.Out, LabHelp)
		return 0
	}
	code := 0
	if err == nil {
		code, err = sh.lab(ctx, user, a, io)
	}
	var usage usageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintf(io.Err, "vmhost: %v; ':lab help' says more\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(io.Err, "vmhost: %v\n", err)
		return 1
	}
	return code
}

// lab dispatches a parsed ":lab" command line.
func (sh *Shell) lab(ctx context.Context, user string, a labArgs, io IO) (int, error) {
	if a.op == "ls" {
		taught := sh.svc.opts.Config().TeacherOf(user)
		classes := sh.svc.Classes(func(c string) bool { return slices.Contains(taught, c) })
		if a.format == FormatJSON {
			return 0, WriteJSON(io.Out, orEmpty(classes))
		}
		return 0, WriteClasses(io.Out, classes)
	}
	op, ok := labOps[a.op]
	if !ok {
		return 0, usageError{fmt.Sprintf("unknown command %q", printable(a.op, 40))}
	}
	ops, err := a.operands(op.min, op.max, op.usage)
	if err != nil {
		return 0, err
	}
	if err := Allowed(sh.svc.opts.Config(), user, ops[0]); err != nil {
		sh.svc.opts.Audit.Info("lab refused", "op", a.op, "class", ops[0], "by", user, "reason", err.Error())
		return 0, err
	}
	if op.confirm && !a.yes {
		return 0, fmt.Errorf("%s loses files; confirm it with --yes", a.op)
	}
	return op.run(sh, ctx, user, ops, a.format, io)
}

// orEmpty returns s, or an empty slice for JSON's [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
