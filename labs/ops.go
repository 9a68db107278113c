package labs

import (
	"context"
	"errors"
	"fmt"
	"io"

	"vmhost/config"
)

// Request names what an operation acts on and who asks for it.
type Request struct {
	Class string
	// Student limits it to one student's guests; empty: every student's.
	Student string
	// By is who asks, for the audit log and the report: "root" on the
	// admin socket, a teacher's (or a student's) name over SSH.
	By string
}

// prepare returns the class and the targets of req, and an empty report
// of op.
func (s *Service) prepare(req Request, op string) (config.Class, []Target, Report, error) {
	cl, err := lookupClass(s.opts.Config(), req.Class)
	if err != nil {
		return cl, nil, Report{}, err
	}
	targets, err := targetsOf(cl, req.Student)
	rep := Report{Op: op, Class: cl.Name, Time: s.opts.Now().UTC(), By: req.By}
	return cl, targets, rep, err
}

// ErrClassBusy is returned when an operation of the class is under way.
var ErrClassBusy = errors.New("another operation of the class is under way; try again when it ends")

// begin marks an operation of req's class under way: one at a time per
// class (status reads alone), so that a reset does not meet a provision
// half-way, nor a teacher's checks pile up; end ends it.
func (s *Service) begin(req Request) (end func(), err error) {
	if !s.running.begin(req.Class) {
		return nil, fmt.Errorf("class %s: %w", req.Class, ErrClassBusy)
	}
	return func() { s.running.end(req.Class) }, nil
}

// finish tallies rep and writes its audit line, with more attributes.
func (s *Service) finish(req Request, rep *Report, more ...any) {
	rep.tally()
	s.audit(req, rep.Op, append([]any{"students", rep.Students, "passed", rep.Passed}, more...)...)
}

// audit writes the audit line of op on req, with more attributes.
func (s *Service) audit(req Request, op string, more ...any) {
	attrs := []any{"op", op, "class", req.Class, "by", req.By}
	if req.Student != "" {
		attrs = append(attrs, "student", req.Student)
	}
	s.opts.Audit.Info("lab", append(attrs, more...)...)
}

// existing returns the guests that exist, by ID.
func (s *Service) existing() map[string]Guest {
	out := map[string]Guest{}
	for _, g := range s.opts.Guests.List() {
		out[g.ID] = g
	}
	return out
}

// Provision makes and starts every guest of the class's students (of one
// student, with req.Student) that is not running, at most Starts at once,
// with a progress line per guest; a new guest's setup runs first. A guest
// whose setup failed is a failure of its own.
func (s *Service) Provision(ctx context.Context, req Request, progress io.Writer) (Report, error) {
	cl, targets, rep, err := s.prepare(req, "provision")
	if err != nil {
		return rep, err
	}
	end, err := s.begin(req)
	if err != nil {
		return rep, err
	}
	defer end()
	fmt.Fprintf(progress, "provisioning %d guests of class %s, %d at a time\n", len(targets), cl.Name, s.opts.Starts)
	rep.Results = each(ctx, targets, s.opts.Starts, progress, func(ctx context.Context, t Target) Result {
		return s.start(ctx, cl.Name, t)
	})
	s.finish(req, &rep)
	return rep, nil
}

// start opens the target's guest and reports its setup's failure.
func (s *Service) start(ctx context.Context, class string, t Target) Result {
	if err := s.opts.Guests.Open(ctx, t.Student, t.Host); err != nil {
		return failed(err)
	}
	if su, _ := s.opts.Store.Setup(class, t.Guest); su != nil && su.Result == SetupFailed {
		return Result{Result: ResultFailed, ExitCode: su.ExitCode, Error: "setup failed: " + su.Error}
	}
	return Result{Result: ResultOK}
}

// failed is the result of an error.
func failed(err error) Result {
	return Result{Result: ResultFailed, ExitCode: -1, Error: err.Error()}
}

// Reset brings every guest of the class's students (of one student, with
// req.Student) back to its image and starts it again, which runs the
// setup again; a guest not made yet is made. Open sessions of the guests
// end.
func (s *Service) Reset(ctx context.Context, req Request, progress io.Writer) (Report, error) {
	cl, targets, rep, err := s.prepare(req, "reset")
	if err != nil {
		return rep, err
	}
	end, err := s.begin(req)
	if err != nil {
		return rep, err
	}
	defer end()
	have := s.existing()
	rep.Results = each(ctx, targets, s.opts.Starts, progress, func(ctx context.Context, t Target) Result {
		if _, ok := have[t.Guest]; ok {
			if err := s.opts.Guests.Reset(t.Guest); err != nil {
				return failed(err)
			}
		}
		return s.start(ctx, cl.Name, t)
	})
	s.finish(req, &rep)
	return rep, nil
}

// Stop stops every running guest of the class's students; their files are
// kept.
func (s *Service) Stop(ctx context.Context, req Request, progress io.Writer) (Report, error) {
	_, targets, rep, err := s.prepare(req, "stop")
	if err != nil {
		return rep, err
	}
	end, err := s.begin(req)
	if err != nil {
		return rep, err
	}
	defer end()
	have := s.existing()
	rep.Results = each(ctx, targets, s.opts.Starts, progress, func(ctx context.Context, t Target) Result {
		if g, ok := have[t.Guest]; !ok || g.State == "stopped" {
			return Result{Result: ResultOK, Error: notRunning(ok)}
		}
		if err := s.opts.Guests.Stop(t.Guest); err != nil {
			return failed(err)
		}
		return Result{Result: ResultOK}
	})
	s.finish(req, &rep)
	return rep, nil
}

// notRunning says why a guest needed no stop or removal.
func notRunning(exists bool) string {
	if exists {
		return "not running"
	}
	return "not made"
}

// Remove removes every guest of the class's students with all their files,
// and their setup records; check results are kept.
func (s *Service) Remove(ctx context.Context, req Request, progress io.Writer) (Report, error) {
	cl, targets, rep, err := s.prepare(req, "rm")
	if err != nil {
		return rep, err
	}
	end, err := s.begin(req)
	if err != nil {
		return rep, err
	}
	defer end()
	have := s.existing()
	rep.Results = each(ctx, targets, s.opts.Starts, progress, func(ctx context.Context, t Target) Result {
		if _, ok := have[t.Guest]; !ok {
			return Result{Result: ResultOK, Error: notRunning(false)}
		}
		if err := s.opts.Guests.Remove(t.Guest); err != nil {
			return failed(err)
		}
		if err := s.opts.Store.ForgetSetup(cl.Name, t.Guest); err != nil {
			return failed(err)
		}
		return Result{Result: ResultOK}
	})
	s.finish(req, &rep)
	return rep, nil
}
