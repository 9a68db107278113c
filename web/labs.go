package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"vmhost/config"
)

// Labs runs the class operations the dashboard offers, as ":lab" does
// over SSH; cmd/vmhostd adapts the labs service to it. Actor is who asks,
// for the audit lines.
type Labs interface {
	// LastChecks returns the last check result of each guest of class,
	// by the guest's login; a guest never checked is missing.
	LastChecks(class string) map[string]LabResult
	// Check runs the class's check in every student's guests and keeps
	// the run, as ":lab check CLASS".
	Check(ctx context.Context, class, actor string) (LabReport, error)
	// Reset brings student's guests back to their image and starts them
	// again, as ":lab reset CLASS STUDENT --yes".
	Reset(ctx context.Context, class, student, actor string) (LabReport, error)
}

// LabResult is what a check (or reset) did in one guest.
type LabResult struct {
	Student string `json:"student"`
	// Login names the guest as ssh does: student or student+host.
	Login string `json:"login"`
	// Result is pass or fail for a check, ok or failed for a reset.
	Result string `json:"result"`
	// Fail are the check's "FAIL:" lines.
	Fail []string `json:"fail"`
	// Error says why it did not run or failed.
	Error string `json:"error,omitempty"`
}

// LabReport is what a class operation did, guest by guest.
type LabReport struct {
	// Summary is the report's line, like "check net101: 27/30 pass".
	Summary string      `json:"summary"`
	Results []LabResult `json:"results"`
}

// errNotManager refuses a class operation to someone who neither teaches
// the class nor is an admin.
var errNotManager = errors.New("you neither teach this class nor are an admin")

// mayManage returns nil when person may see class's dashboard and run its
// check and reset: a teacher of the class or an admin.
func mayManage(c *config.Config, person, class string) error {
	if _, ok := c.User(person); !ok {
		return fmt.Errorf("%s is no longer a user of this host", person)
	}
	if _, ok := c.Classes[class]; !ok {
		return fmt.Errorf("there is no class %q", class)
	}
	if !slices.Contains(c.TeacherOf(person), class) && !c.IsAdmin(person) {
		return errNotManager
	}
	return nil
}

// labTimeout bounds one check or reset started from the page: the check
// itself is bounded by each class's check_timeout.
const labTimeout = 15 * time.Minute

// labRequest is the body of a reset: the student, and their name typed
// again to confirm that their files go.
type labRequest struct {
	Student string `json:"student"`
	Confirm string `json:"confirm"`
}

// changer returns the browser session of r when r may change state: it
// carries the session's cookie, comes from this site and carries its CSRF
// token; otherwise it answers the refusal and returns nil.
func (s *Server) changer(w http.ResponseWriter, r *http.Request) *browser {
	b, _ := s.browserOf(r)
	if b == nil {
		fail(w, http.StatusUnauthorized, errNoLogin)
		return nil
	}
	if !s.sameOrigin(r) || !validCSRF(b, r.Header.Get(csrfHeader)) {
		s.audit.Info("web request refused", "user", b.person, "path", r.URL.Path, "reason", "missing or wrong CSRF token or origin")
		fail(w, http.StatusForbidden, "missing or wrong CSRF token")
		return nil
	}
	return b
}

// labCheck answers POST /api/classes/{class}/check: it runs the class's
// check and answers its report.
func (s *Server) labCheck(w http.ResponseWriter, r *http.Request) {
	b, class := s.labAllowed(w, r, "check")
	if b == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), labTimeout)
	defer cancel()
	s.audit.Info("web lab", "op", "check", "class", class, "by", b.person)
	rep, err := s.opts.Labs.Check(ctx, class, b.person)
	s.answerLab(w, rep, err)
}

// labReset answers POST /api/classes/{class}/reset {"student": S,
// "confirm": S}: it resets student S's guests once the name is confirmed.
func (s *Server) labReset(w http.ResponseWriter, r *http.Request) {
	b, class := s.labAllowed(w, r, "reset")
	if b == nil {
		return
	}
	var in labRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil || in.Student == "" {
		fail(w, http.StatusBadRequest, "name the student to reset")
		return
	}
	if !slices.Contains(s.opts.Config().Classes[class].Members, in.Student) {
		fail(w, http.StatusBadRequest, fmt.Sprintf("%q is not a student of class %s", in.Student, class))
		return
	}
	if in.Confirm != in.Student {
		s.audit.Info("web lab refused", "op", "reset", "class", class, "student", in.Student, "by", b.person, "reason", "not confirmed")
		fail(w, http.StatusBadRequest, "a reset loses the student's files; confirm it by typing the student's name")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), labTimeout)
	defer cancel()
	s.audit.Info("web lab", "op", "reset", "class", class, "student", in.Student, "by", b.person)
	rep, err := s.opts.Labs.Reset(ctx, class, in.Student, b.person)
	s.answerLab(w, rep, err)
}

// labAllowed returns the browser session of r and the class its path
// names when its person may run op there; otherwise it answers the
// refusal and returns nil.
func (s *Server) labAllowed(w http.ResponseWriter, r *http.Request, op string) (*browser, string) {
	b := s.changer(w, r)
	if b == nil {
		return nil, ""
	}
	class := r.PathValue("class")
	if err := mayManage(s.opts.Config(), b.person, class); err != nil {
		s.audit.Info("web lab refused", "op", op, "class", class, "by", b.person, "reason", err.Error())
		fail(w, http.StatusForbidden, err.Error())
		return nil, ""
	}
	if s.opts.Labs == nil {
		fail(w, http.StatusServiceUnavailable, "the classes' operations are not available")
		return nil, ""
	}
	return b, class
}

// answerLab answers a class operation's report, or its error.
func (s *Server) answerLab(w http.ResponseWriter, rep LabReport, err error) {
	if err != nil {
		fail(w, http.StatusConflict, err.Error())
		return
	}
	if rep.Results == nil {
		rep.Results = []LabResult{}
	}
	writeJSON(w, http.StatusOK, rep)
}
