package labs

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats of a report or a status.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatCSV   = "csv"
)

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteReport writes rep in format: a table (a row per guest, a check's
// FAIL lines under its row, then the summary), CSV (student, host, result,
// fail: the FAIL lines one per line in one field) or JSON (the Report).
func WriteReport(w io.Writer, rep Report, format string) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, rep)
	case FormatCSV:
		return writeCSV(w, rep)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STUDENT\tHOST\tRESULT\tNOTE")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Student, r.Host, r.Result, resultNote(r))
		for _, f := range r.Fail {
			fmt.Fprintf(tw, "\t\t\t%s\n", f)
		}
	}
	tw.Flush()
	_, err := fmt.Fprintln(w, rep.Summary())
	return err
}

// resultNote is the NOTE column of r: why it failed, or what it copied.
func resultNote(r Result) string {
	switch {
	case r.Error != "":
		return printable(r.Error, 200)
	case r.File != "":
		return fmt.Sprintf("%s (%d bytes)", r.File, r.Bytes)
	case r.Cut:
		return "output cut"
	}
	return ""
}

// writeCSV writes rep as CSV, a header then a row per guest.
func writeCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"student", "host", "result", "fail"})
	for _, r := range rep.Results {
		fail := r.Fail
		if len(fail) == 0 && r.Error != "" {
			fail = []string{printable(r.Error, 200)}
		}
		cw.Write([]string{r.Student, r.Host, r.Result, strings.Join(fail, "\n")})
	}
	cw.Flush()
	return cw.Error()
}

// WriteOwnCheck writes a student's own check: a line per host, pass or
// fail, the FAIL lines under it, and the summary.
func WriteOwnCheck(w io.Writer, rep Report) {
	for _, r := range rep.Results {
		fmt.Fprintf(w, "%s: %s\n", r.Host, r.Result)
		for _, f := range r.Fail {
			fmt.Fprintf(w, "  %s\n", f)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  (%s)\n", printable(r.Error, 200))
		}
	}
}

// WriteStatus writes a class's status as a table: a row per guest.
func WriteStatus(w io.Writer, rows []Status, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STUDENT\tHOST\tSTATE\tCONNECTED\tLAST LOGIN\tLAST ACTIVITY\tSETUP\tCHECK")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.Student, r.Host, r.State, r.Connected,
			ago(r.LastLogin, now), ago(r.LastActivity, now), setupText(r.Setup), checkText(r.Check, now))
	}
	return tw.Flush()
}

// ago renders t as "5m ago", "-" when zero.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	if d < time.Second {
		return "now"
	}
	return d.Round(time.Second).String() + " ago"
}

// setupText renders a setup result.
func setupText(r *SetupResult) string {
	switch {
	case r == nil:
		return "-"
	case r.Result == SetupFailed:
		return fmt.Sprintf("failed (exit %d)", r.ExitCode)
	}
	return r.Result
}

// checkText renders a last check.
func checkText(r *Result, now time.Time) string {
	if r == nil {
		return "-"
	}
	if len(r.Fail) > 0 {
		return fmt.Sprintf("%s (%d FAIL)", r.Result, len(r.Fail))
	}
	return r.Result
}

// WriteClasses writes classes as a table.
func WriteClasses(w io.Writer, classes []ClassInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tTEACHERS\tSTUDENTS\tHOSTS\tGUESTS\tRUNNING")
	for _, c := range classes {
		hosts := strings.Join(c.Hosts, ",")
		if hosts == "" {
			hosts = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\n", c.Name, strings.Join(c.Teachers, ","), c.Students, hosts, c.Guests, c.Running)
	}
	return tw.Flush()
}
