package labs

import (
	"context"
	"fmt"
	"io"
	"time"
)

// labOp is one ":lab" command: its operands (CLASS first), whether it
// wants --yes, and what runs it.
type labOp struct {
	min, max int
	usage    string
	confirm  bool
	run      func(sh *Shell, ctx context.Context, user string, ops []string, format string, io IO) (int, error)
}

// labOps are the ":lab" commands but ls.
var labOps = map[string]labOp{
	"status":     {1, 2, "status CLASS [STUDENT] [--json]", false, (*Shell).status},
	"provision":  {1, 2, "provision CLASS [STUDENT]", false, reportOp((*Service).Provision)},
	"check":      {1, 2, "check CLASS [STUDENT] [--json|--csv]", false, reportOp((*Service).Check)},
	"reset":      {1, 2, "reset CLASS [STUDENT] --yes", true, reportOp((*Service).Reset)},
	"stop":       {1, 2, "stop CLASS [STUDENT]", false, reportOp((*Service).Stop)},
	"rm":         {1, 1, "rm CLASS --yes", true, reportOp((*Service).Remove)},
	"distribute": {2, 3, "distribute CLASS PATH [STUDENT] < FILE", false, (*Shell).distribute},
	"collect":    {2, 3, "collect CLASS PATH [STUDENT] > FILE.tar", false, (*Shell).collect},
}

// status runs ":lab status".
func (sh *Shell) status(_ context.Context, user string, ops []string, format string, io IO) (int, error) {
	rows, err := sh.svc.Status(Request{Class: ops[0], Student: ops[1], By: user})
	if err != nil {
		return 0, err
	}
	if format == FormatJSON {
		return 0, WriteJSON(io.Out, rows)
	}
	return 0, WriteStatus(io.Out, rows, sh.svc.opts.Now())
}

// reportOp returns the ":lab" command of a Service operation that makes a
// Report: progress on the error output (the output with a table), then
// the report.
func reportOp(op func(*Service, context.Context, Request, io.Writer) (Report, error)) func(*Shell, context.Context, string, []string, string, IO) (int, error) {
	return func(sh *Shell, ctx context.Context, user string, ops []string, format string, io IO) (int, error) {
		rep, err := op(sh.svc, ctx, Request{Class: ops[0], Student: ops[1], By: user}, progressOut(format, io))
		if err != nil {
			return 0, err
		}
		return ReportCode(rep), WriteReport(io.Out, rep, format)
	}
}

// progressOut is where progress lines go: the output for a table, the
// error output when the output is JSON or CSV for a program.
func progressOut(format string, io IO) io.Writer {
	if format == FormatTable {
		return io.Out
	}
	return io.Err
}

// ReportCode is the exit code of a command that made rep: 1 when a guest
// failed (a check's fail included; a collect's missing file is not).
func ReportCode(rep Report) int {
	for _, r := range rep.Results {
		if r.Result == ResultFailed || r.Result == ResultFail {
			return 1
		}
	}
	return 0
}

// distribute runs ":lab distribute CLASS PATH [STUDENT]" with the file on
// the input.
func (sh *Shell) distribute(ctx context.Context, user string, ops []string, format string, io IO) (int, error) {
	if io.TTY {
		return 0, fmt.Errorf("distribute reads the file on its input; run it without a terminal: ssh %s@host ':lab distribute %s %s' < FILE", user, ops[0], ops[1])
	}
	data, err := readAtMost(io.In, MaxDistribute)
	if err != nil {
		return 0, err
	}
	rep, err := sh.svc.Distribute(ctx, Request{Class: ops[0], Student: ops[2], By: user}, ops[1], data, progressOut(format, io))
	if err != nil {
		return 0, err
	}
	return ReportCode(rep), WriteReport(io.Out, rep, format)
}

// readAtMost reads r to its end, refusing more than max bytes.
func readAtMost(r io.Reader, max int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading the file: %w", err)
	case len(data) > max:
		return nil, fmt.Errorf("the file is larger than %d bytes, the most distribute hands out", max)
	}
	return data, nil
}

// collect runs ":lab collect CLASS PATH [STUDENT]": the tar stream on the
// output, the report on the error output.
func (sh *Shell) collect(ctx context.Context, user string, ops []string, format string, io IO) (int, error) {
	if io.TTY {
		return 0, fmt.Errorf("collect writes a tar stream; run it without a terminal: ssh %s@host ':lab collect %s %s' > FILE.tar", user, ops[0], ops[1])
	}
	sink := NewTarSink(io.Out, time.Now())
	rep, err := sh.svc.Collect(ctx, Request{Class: ops[0], Student: ops[2], By: user}, ops[1], sink, io.Err)
	if err != nil {
		return 0, err
	}
	if err := sink.Close(); err != nil {
		return 0, err
	}
	return ReportCode(rep), WriteReport(io.Err, rep, format)
}

// Check runs a student's own ":check": the class's check script in each
// of their guests, a line per host with the FAIL lines; exit 0 when all
// pass.
func (sh *Shell) Check(ctx context.Context, student string, io IO) int {
	rep, err := sh.svc.CheckOwn(ctx, student, io.Err)
	if err != nil {
		fmt.Fprintf(io.Err, "vmhost: %v\n", err)
		return 1
	}
	WriteOwnCheck(io.Out, rep)
	fmt.Fprintln(io.Out, rep.Summary())
	return ReportCode(rep)
}
