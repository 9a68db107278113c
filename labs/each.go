package labs

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// each runs fn for every target, at most n at once, and returns the
// results in the targets' order; progress gets a line per guest as it is
// done, "[k/N] GUEST: RESULT". A target not begun when ctx ends fails
// with ctx's error.
func each(ctx context.Context, targets []Target, n int, progress io.Writer, fn func(context.Context, Target) Result) []Result {
	out := make([]Result, len(targets))
	sem := make(chan struct{}, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := 0
	for i, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			out[i] = Result{Target: t, Result: ResultFailed, ExitCode: -1, Error: context.Cause(ctx).Error()}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			r := fn(ctx, t)
			r.Target = t
			out[i] = r
			mu.Lock()
			done++
			fmt.Fprintf(progress, "[%d/%d] %s: %s\n", done, len(targets), t.Guest, progressText(r))
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// progressText is the progress line's end for r.
func progressText(r Result) string {
	switch {
	case r.Error != "":
		return r.Result + ": " + printable(r.Error, 300)
	case len(r.Fail) > 0:
		return fmt.Sprintf("%s (%d FAIL lines)", r.Result, len(r.Fail))
	}
	return r.Result
}

// inFlight is a set of names with work under way.
type inFlight struct {
	mu    sync.Mutex
	names map[string]bool
}

// newInFlight returns an empty set.
func newInFlight() *inFlight { return &inFlight{names: map[string]bool{}} }

// begin adds name and reports true, or false when it is in already.
func (f *inFlight) begin(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.names[name] {
		return false
	}
	f.names[name] = true
	return true
}

// end removes name.
func (f *inFlight) end(name string) {
	f.mu.Lock()
	delete(f.names, name)
	f.mu.Unlock()
}
