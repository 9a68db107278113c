package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockPoll is how often lock tries again for a file lock held by another
// process.
const lockPoll = 50 * time.Millisecond

// lock takes the lock of one image name: first the one of this process, so
// that concurrent callers wait in line, then a file lock on <dir>/.lock-<name>
// shared with other processes (such as `vmhostd image build` while the daemon
// runs). It gives up when ctx is done. The returned func releases both.
func (s *Store) lock(ctx context.Context, name string) (func(), error) {
	ch := s.nameLock(name)
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the build of image %q: %w", name, context.Cause(ctx))
	}
	f, err := s.fileLock(ctx, name)
	if err != nil {
		<-ch
		return nil, err
	}
	return func() {
		f.Close()
		<-ch
	}, nil
}

// nameLock returns the in-process lock of name: a channel with room for one.
func (s *Store) nameLock(name string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.locks[name]
	if !ok {
		ch = make(chan struct{}, 1)
		s.locks[name] = ch
	}
	return ch
}

// fileLock opens <dir>/.lock-<name> and takes an exclusive flock on it,
// waiting while another process holds it. Closing the file releases it.
func (s *Store) fileLock(ctx context.Context, name string) (*os.File, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the image store: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock-"+name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking image %q: %w", name, err)
	}
	for {
		ok, err := tryFlock(f)
		if ok || err != nil {
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("locking image %q: %w", name, err)
			}
			return f, nil
		}
		select {
		case <-time.After(lockPoll):
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another process building image %q: %w", name, context.Cause(ctx))
		}
	}
}

// tryFlock takes an exclusive flock on f without waiting, and says whether it
// got it.
func tryFlock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, err
		}
	}
}

// waitFlock takes an exclusive flock on f, waiting while another holds it,
// until ctx is done.
func waitFlock(ctx context.Context, f *os.File) error {
	for {
		ok, err := tryFlock(f)
		if ok || err != nil {
			return err
		}
		select {
		case <-time.After(lockPoll):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
