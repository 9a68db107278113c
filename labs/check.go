package labs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"vmhost/config"
)

// ErrBusy is returned when the same student's check already runs.
var ErrBusy = errors.New("a check of these guests is already running")

// Check runs the class's check script in every guest of its students (of
// one student, with req.Student), at most Execs at once, each within the
// class's check_timeout, and keeps the run in the store. A guest passes
// when the script exits 0; its "FAIL:" lines are the feedback.
func (s *Service) Check(ctx context.Context, req Request, progress io.Writer) (Report, error) {
	if _, err := lookupClass(s.opts.Config(), req.Class); err != nil {
		return Report{}, err
	}
	end, err := s.begin(req)
	if err != nil {
		return Report{}, err
	}
	defer end()
	rep, err := s.check(ctx, req, progress)
	if err != nil {
		return rep, err
	}
	if _, err := s.opts.Store.SaveCheck(rep); err != nil {
		return rep, fmt.Errorf("keeping the results: %w", err)
	}
	return rep, nil
}

// CheckOwn runs the check of student's class in their own guests, as
// ssh STUDENT@host :check does; the run is not kept. One check per
// student runs at a time.
func (s *Service) CheckOwn(ctx context.Context, student string, progress io.Writer) (Report, error) {
	cl, ok := s.opts.Config().Class(student)
	if !ok {
		return Report{}, fmt.Errorf("%w: %s is a student of no class", ErrNoStudent, student)
	}
	if !s.checking.begin(student) {
		return Report{}, ErrBusy
	}
	defer s.checking.end(student)
	return s.check(ctx, Request{Class: cl.Name, Student: student, By: student}, progress)
}

// check runs the check of req.
func (s *Service) check(ctx context.Context, req Request, progress io.Writer) (Report, error) {
	cl, targets, rep, err := s.prepare(req, "check")
	if err != nil {
		return rep, err
	}
	script, err := checkScript(cl)
	if err != nil {
		return rep, err
	}
	have := s.existing()
	rep.Results = each(ctx, targets, s.opts.Execs, progress, func(ctx context.Context, t Target) Result {
		if _, ok := have[t.Guest]; !ok {
			return Result{Result: ResultFail, Fail: []string{}, ExitCode: -1,
				Error: "no guest yet: the student has not logged in and the class was not provisioned"}
		}
		o := runJob(ctx, s.spawner(t.Guest), job{
			script: runScript, stdin: script, limit: MaxOutput, timeout: time.Duration(cl.CheckTimeout),
			env: classEnv(cl.Name, t),
		})
		return checkResult(o)
	})
	s.finish(req, &rep)
	return rep, nil
}

// checkScript reads the class's check script.
func checkScript(cl config.Class) ([]byte, error) {
	if cl.Check == "" {
		return nil, fmt.Errorf("class %s has no check script; name one with check: in the configuration", cl.Name)
	}
	data, err := config.ReadScript(cl.Check)
	if err != nil {
		return nil, fmt.Errorf("reading the check script of class %s: %w", cl.Name, err)
	}
	return data, nil
}

// classEnv is the environment the class's scripts get for target t.
func classEnv(class string, t Target) []string {
	return []string{"VMHOST_CLASS=" + class, "VMHOST_STUDENT=" + t.Student, "VMHOST_HOST=" + t.Host}
}

// spawner returns what starts processes in the guest id.
func (s *Service) spawner(id string) SpawnFunc {
	return func(ctx context.Context, req SpawnRequest) (Process, error) {
		return s.opts.Guests.Exec(ctx, id, req)
	}
}

// checkResult is the result of a check's run o: pass when it exited 0.
func checkResult(o outcome) Result {
	r := Result{Result: ResultFail, Fail: FailLines(o.out), ExitCode: o.code, Output: string(o.out), Cut: o.cut}
	switch {
	case o.err != nil:
		r.Error = "the check did not run: " + o.err.Error()
	case o.code == 0:
		r.Result = ResultPass
	}
	return r
}
