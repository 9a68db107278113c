package guest

import "time"

// TraceFunc receives how long each phase of starting a guest took: "image",
// "lease", "cgroup", "clone", "network", "root", "init", "state". The daemon logs them
// at debug level; the benchmarks break a guest's creation down with them.
type TraceFunc func(guestID, phase string, took time.Duration)

// tracer times the phases of one start for a TraceFunc; a nil f costs
// nothing.
type tracer struct {
	f    TraceFunc
	id   string
	last time.Time
}

// newTracer starts timing the start of guest id.
func newTracer(f TraceFunc, id string) *tracer {
	t := &tracer{f: f, id: id}
	if f != nil {
		t.last = time.Now()
	}
	return t
}

// mark reports the phase that ends now.
func (t *tracer) mark(phase string) {
	if t == nil || t.f == nil {
		return
	}
	now := time.Now()
	t.f(t.id, phase, now.Sub(t.last))
	t.last = now
}
