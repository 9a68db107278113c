package guest

import (
	"context"
	"io"
)

// progressKey is the context key of WithProgress.
type progressKey struct{}

// WithProgress returns a context that carries w, where starting a guest
// writes what the user waiting for it should see, such as the progress of
// the image build that a first login waits for.
func WithProgress(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, progressKey{}, w)
}

// Progress returns the writer of WithProgress, or io.Discard.
func Progress(ctx context.Context) io.Writer {
	if w, ok := ctx.Value(progressKey{}).(io.Writer); ok && w != nil {
		return w
	}
	return io.Discard
}
