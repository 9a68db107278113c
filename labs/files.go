package labs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"vmhost/config"
)

// Bounds of the files handed out and collected.
const (
	// MaxDistribute bounds a file distribute hands out.
	MaxDistribute = 1 << 20
	// MaxCollect bounds a file collect takes from one guest: past it the
	// guest's file is refused, not cut.
	MaxCollect = 8 << 20
	// maxGuestPath bounds a path in a guest.
	maxGuestPath = 1024
	// copyTimeout bounds the copy of one file into or out of one guest.
	copyTimeout = 60 * time.Second
)

// checkGuestPath wants p to be an absolute, clean path of a file in a
// guest.
func checkGuestPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q is not an absolute path; write the file's path in the guest, like /root/task.txt", p)
	case len(p) > maxGuestPath || strings.ContainsRune(p, 0):
		return fmt.Errorf("%q is not a path a guest's file can have", printable(p, 80))
	case path.Clean(p) != p || p == "/":
		return fmt.Errorf("%q is not the clean path of a file; write it like %s", p, path.Clean(p))
	}
	return nil
}

// Distribute writes data as the file at p (made with its directories,
// replaced if there) in every guest of the class's students, as root, mode
// 0644; a guest not made yet is made first (after its setup).
func (s *Service) Distribute(ctx context.Context, req Request, p string, data []byte, progress io.Writer) (Report, error) {
	if err := checkGuestPath(p); err != nil {
		return Report{}, err
	}
	if len(data) > MaxDistribute {
		return Report{}, fmt.Errorf("the file is %d bytes; distribute hands out at most %d", len(data), MaxDistribute)
	}
	cl, targets, rep, err := s.prepare(req, "distribute")
	if err != nil {
		return rep, err
	}
	end, err := s.begin(req)
	if err != nil {
		return rep, err
	}
	defer end()
	rep.Results = each(ctx, targets, s.opts.Execs, progress, func(ctx context.Context, t Target) Result {
		if r := s.start(ctx, cl.Name, t); r.Result != ResultOK && !strings.HasPrefix(r.Error, "setup failed") {
			return r
		}
		o := runJob(ctx, s.spawner(t.Guest), job{script: putScript, args: []string{p}, stdin: data, limit: 4096, timeout: copyTimeout})
		if o.err != nil || o.code != 0 {
			return Result{Result: ResultFailed, ExitCode: o.code, Error: copyError(o)}
		}
		return Result{Result: ResultOK, ExitCode: 0, Bytes: int64(len(data))}
	})
	s.finish(req, &rep, "path", p, "bytes", len(data))
	return rep, nil
}

// copyError says why a copy into or out of a guest failed.
func copyError(o outcome) string {
	if o.err != nil {
		return o.err.Error()
	}
	msg := printable(strings.TrimSpace(string(o.out)), 200)
	return fmt.Sprintf("exited with %d: %s", o.code, orNone(msg))
}

// Sink takes collected files, one at a time: name is relative, as
// STUDENT/FILE or STUDENT/HOST/FILE.
type Sink interface {
	Put(name string, data []byte) error
}

// Collect copies the file at p out of every guest of the class's students
// (of one student, with req.Student) into sink: as STUDENT/NAME from the
// class's first host, STUDENT/HOST/NAME from the others, NAME being p's
// last element. A guest without the file (or not made) is a missing
// result; a file past MaxCollect or not regular is refused.
func (s *Service) Collect(ctx context.Context, req Request, p string, sink Sink, progress io.Writer) (Report, error) {
	if err := checkGuestPath(p); err != nil {
		return Report{}, err
	}
	cl, targets, rep, err := s.prepare(req, "collect")
	if err != nil {
		return rep, err
	}
	end, err := s.begin(req)
	if err != nil {
		return rep, err
	}
	defer end()
	have := s.existing()
	var mu sync.Mutex // sinks take one file at a time
	rep.Results = each(ctx, targets, s.opts.Starts, progress, func(ctx context.Context, t Target) Result {
		if _, ok := have[t.Guest]; !ok {
			return Result{Result: ResultMissing, ExitCode: -1, Error: "no guest yet"}
		}
		o := runJob(ctx, s.spawner(t.Guest), job{script: getScript, args: []string{p}, limit: MaxCollect, timeout: copyTimeout})
		r := collectResult(o, p)
		if r.Result != ResultOK {
			return r
		}
		r.File = collectName(cl, t, path.Base(p))
		mu.Lock()
		defer mu.Unlock()
		if err := sink.Put(r.File, o.out); err != nil {
			return Result{Result: ResultFailed, ExitCode: o.code, Error: err.Error(), File: r.File}
		}
		return r
	})
	s.finish(req, &rep, "path", p)
	return rep, nil
}

// collectResult is the result of getScript's run o for the file p.
func collectResult(o outcome, p string) Result {
	r := Result{Result: ResultFailed, ExitCode: o.code}
	switch {
	case o.err != nil:
		r.Error = o.err.Error()
	case o.code == getMissing:
		r.Result, r.Error = ResultMissing, "no file "+p
	case o.code == getNotRegular:
		r.Error = p + " is not a regular file"
	case o.code != 0:
		r.Error = copyError(o)
	case o.cut:
		r.Error = fmt.Sprintf("%s is larger than %d bytes, the most collect takes", p, MaxCollect)
	default:
		r.Result, r.Bytes = ResultOK, int64(len(o.out))
	}
	return r
}

// collectName is where the file name collected from t goes: STUDENT/name
// from the class's first host (or the student's one guest),
// STUDENT/HOST/name from the others.
func collectName(cl config.Class, t Target, name string) string {
	hosts := hostNames(cl)
	if len(hosts) == 0 || t.Host == hosts[0] {
		return t.Student + "/" + name
	}
	return t.Student + "/" + t.Host + "/" + name
}

// ErrExists is returned, wrapped, when a collected file is there already.
var ErrExists = errors.New("exists already")
