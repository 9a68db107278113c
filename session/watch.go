package session

import (
	"errors"
	"io"
	"sync"
)

// watchQueue bounds what waits for one watcher, in reads of the terminal
// (at most readBuffer bytes each): a watcher that falls further behind is
// sent a fresh screen instead, and never slows the session.
const watchQueue = 64

// ErrWatchOnly refuses input from a watcher that did not join.
var ErrWatchOnly = errors.New("watching only: join the session to type in it")

// Watcher is someone watching a kept session, read-only, or joined to it,
// typing into it too. It is sent the session's screen as it is, then its
// output as it comes.
type Watcher struct {
	k     *Kept
	who   string
	join  bool
	queue chan []byte
	done  chan struct{}
	once  sync.Once
}

// Watch starts sending the session's screen, then its output, to out, for
// who (named in the notices the session's user sees). With join, the
// watcher's keys go to the session too.
func (k *Kept) Watch(out io.Writer, who string, join bool) (*Watcher, error) {
	w := &Watcher{k: k, who: who, join: join, queue: make(chan []byte, watchQueue), done: make(chan struct{})}
	k.mu.Lock()
	select {
	case <-k.ended:
		k.mu.Unlock()
		return nil, ErrEnded
	default:
	}
	w.queue <- k.screen.Repaint("")
	k.watchers = append(k.watchers, w)
	k.mu.Unlock()
	go w.run(out)
	k.mark(w.verb() + " by " + who)
	k.notify("vmhost: " + who + " is " + w.verbing() + " this session")
	return w, nil
}

// verb and verbing say what the watcher does.
func (w *Watcher) verb() string {
	if w.join {
		return "joined"
	}
	return "watched"
}

func (w *Watcher) verbing() string {
	if w.join {
		return "joined to"
	}
	return "watching"
}

// run writes what is queued to out until the queue is closed (the session
// ended or the watcher stopped) or out fails.
func (w *Watcher) run(out io.Writer) {
	defer w.Stop()
	for p := range w.queue {
		if _, err := out.Write(p); err != nil {
			return
		}
	}
}

// send queues output for the watcher; one that is too far behind gets the
// screen as it is now instead of what it missed. k.mu is held, so the
// screen drawn is the one the next output follows.
func (w *Watcher) send(p []byte) {
	select {
	case w.queue <- append([]byte(nil), p...):
		return
	default:
	}
	for len(w.queue) > 0 {
		select {
		case <-w.queue:
		default:
		}
	}
	w.queue <- w.k.screen.Repaint("")
}

// Input is where a joined watcher's keys go; a watcher that did not join
// gets ErrWatchOnly.
func (w *Watcher) Input() io.Writer {
	if !w.join {
		return refuse{}
	}
	return w.k.Input()
}

// refuse is the input of a watcher that did not join.
type refuse struct{}

// Write refuses p.
func (refuse) Write(p []byte) (int, error) { return 0, ErrWatchOnly }

// Done is closed once the watcher stopped, or the session ended and what
// was queued was sent.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Stop stops watching; the session's user is told.
func (w *Watcher) Stop() {
	w.once.Do(func() {
		k := w.k
		k.mu.Lock()
		ended := false
		select {
		case <-k.ended:
			ended = true
		default:
		}
		for i, x := range k.watchers {
			if x == w {
				k.watchers = append(k.watchers[:i], k.watchers[i+1:]...)
				close(w.queue)
				break
			}
		}
		k.mu.Unlock()
		close(w.done)
		if !ended {
			k.mark(w.who + " left")
			k.notify("vmhost: " + w.who + " is no longer " + w.verbing() + " this session")
		}
	})
}

// notify writes a line to the client attached, if any, between two pieces
// of output: the session's user is told who watches.
func (k *Kept) notify(line string) {
	k.mu.Lock()
	c := k.client
	k.mu.Unlock()
	if c != nil {
		c.out.Write([]byte("\r\n" + line + "\r\n"))
	}
}

// endWatchers lets every watcher finish sending what is queued, once the
// session has ended.
func (k *Kept) endWatchers() {
	k.mu.Lock()
	ws := k.watchers
	k.watchers = nil
	for _, w := range ws {
		close(w.queue)
	}
	k.mu.Unlock()
}
