package labs

import (
	"fmt"
	"slices"
	"time"
)

// Results of one guest in a Report.
const (
	ResultOK      = "ok"
	ResultFailed  = "failed"
	ResultPass    = "pass"
	ResultFail    = "fail"
	ResultMissing = "missing"
)

// Result is what an operation did in one guest of a class.
type Result struct {
	Target
	// Result is ok or failed; for a check, pass or fail; for a collect,
	// also missing.
	Result string `json:"result"`
	// Fail are a check's "FAIL:" lines, made printable and bounded.
	Fail []string `json:"fail"`
	// ExitCode is the exit code of the check script (or of the copy); -1
	// when it did not run or end.
	ExitCode int `json:"exit_code"`
	// Error says why it did not run or failed, or what was missing.
	Error string `json:"error,omitempty"`
	// Output is the check script's output, at most MaxOutput bytes.
	Output string `json:"output,omitempty"`
	// Cut says Output (or a collected file) was longer than its bound.
	Cut bool `json:"cut,omitempty"`
	// Bytes is the size of a file distributed or collected.
	Bytes int64 `json:"bytes,omitempty"`
	// File is where a collected file went, relative to the collect's
	// directory (STUDENT/NAME or STUDENT/HOST/NAME).
	File string `json:"file,omitempty"`
}

// Report is what one operation did in a class, guest by guest.
type Report struct {
	// Op is provision, check, reset, stop, rm, distribute or collect.
	Op    string    `json:"op"`
	Class string    `json:"class"`
	Time  time.Time `json:"time"`
	// By is who ran it: root, or the teacher's (or student's) name.
	By string `json:"by"`
	// Students is how many students it covered, Passed how many of them
	// had every guest pass (a check) or succeed (any other).
	Students int      `json:"students"`
	Passed   int      `json:"passed"`
	Results  []Result `json:"results"`
}

// good reports whether r is a success.
func (r Result) good() bool { return r.Result == ResultOK || r.Result == ResultPass }

// tally fills Students and Passed from the results: a student passes when
// all of their guests do.
func (rep *Report) tally() {
	var students []string
	bad := map[string]bool{}
	for _, r := range rep.Results {
		if !slices.Contains(students, r.Student) {
			students = append(students, r.Student)
		}
		if !r.good() {
			bad[r.Student] = true
		}
	}
	rep.Students, rep.Passed = len(students), len(students)-len(bad)
}

// Summary is the report's last line: "27/30 pass" for a check, "2/2 ok"
// otherwise, with the op, and how many files a collect found missing.
func (rep *Report) Summary() string {
	word := "ok"
	if rep.Op == "check" {
		word = "pass"
	}
	missing := 0
	for _, r := range rep.Results {
		if r.Result == ResultMissing {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Sprintf("%s %s: %d/%d %s, %d missing", rep.Op, rep.Class, rep.Passed, rep.Students, word, missing)
	}
	return fmt.Sprintf("%s %s: %d/%d %s", rep.Op, rep.Class, rep.Passed, rep.Students, word)
}

// Refused marks failed the results whose collected file a sink refused,
// with why: refused maps the file's name to the error.
func (rep *Report) Refused(refused map[string]error) {
	if len(refused) == 0 {
		return
	}
	for i, r := range rep.Results {
		if err, ok := refused[r.File]; ok && r.File != "" {
			rep.Results[i].Result, rep.Results[i].Error = ResultFailed, err.Error()
		}
	}
	rep.tally()
}
