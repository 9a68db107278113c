package asciicast

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"vmhost/session/runes"
)

// Header is the first line of a recording.
type Header struct {
	Version   int               `json:"version"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Timestamp int64             `json:"timestamp,omitempty"`
	Command   string            `json:"command,omitempty"`
	Title     string            `json:"title,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
}

// Event codes.
const (
	Output = "o"
	Input  = "i"
	Resize = "r"
	Marker = "m"
)

// Writer writes one recording. Its methods may be called from several
// goroutines; the first error is kept and returned by every later call, so
// that a caller can follow its policy (carry on or end the session) once.
type Writer struct {
	mu    sync.Mutex
	w     *bufio.Writer
	start time.Time
	now   func() time.Time
	carry map[string][]byte // per event code, an incomplete UTF-8 sequence
	err   error
}

// NewWriter writes h (Version set to 2, Timestamp to start) to w and
// returns the Writer of the events that follow; times are counted from
// start with clock now.
func NewWriter(w io.Writer, h Header, start time.Time, now func() time.Time) (*Writer, error) {
	h.Version = 2
	h.Timestamp = start.Unix()
	cw := &Writer{w: bufio.NewWriter(w), start: start, now: now, carry: map[string][]byte{}}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encoding the recording's header: %w", err)
	}
	cw.line(line)
	return cw, cw.Flush()
}

// Write records output.
func (w *Writer) Write(p []byte) (int, error) {
	return len(p), w.data(Output, p)
}

// Input records what the user typed.
func (w *Writer) Input(p []byte) error { return w.data(Input, p) }

// Resize records a change of the window size.
func (w *Writer) Resize(cols, rows int) error {
	return w.event(Resize, fmt.Sprintf("%dx%d", cols, rows))
}

// Mark records a marker with a label (detach, reattach, a watcher).
func (w *Writer) Mark(label string) error { return w.event(Marker, label) }

// data records p as an event of code, holding back an incomplete UTF-8
// sequence at its end.
func (w *Writer) data(code string, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := append(w.carry[code], p...)
	whole, rest := runes.Split(b)
	w.carry[code] = append([]byte(nil), rest...)
	if len(whole) == 0 {
		return w.err
	}
	return w.eventLocked(code, strings.ToValidUTF8(string(whole), "\uFFFD"))
}

// event records one event.
func (w *Writer) event(code, data string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.eventLocked(code, strings.ToValidUTF8(data, "\uFFFD"))
}

// eventLocked writes one event line.
func (w *Writer) eventLocked(code, data string) error {
	if w.err != nil {
		return w.err
	}
	secs := w.now().Sub(w.start).Seconds()
	line, err := json.Marshal([]any{json.Number(fmt.Sprintf("%.6f", secs)), code, data})
	if err != nil {
		w.err = fmt.Errorf("encoding a recording event: %w", err)
		return w.err
	}
	w.line(line)
	return w.err
}

// line writes one line, keeping the first error.
func (w *Writer) line(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.w.Write(append(b, '\n')); err != nil {
		w.err = fmt.Errorf("writing the recording: %w", err)
	}
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		if err := w.w.Flush(); err != nil {
			w.err = fmt.Errorf("writing the recording: %w", err)
		}
	}
	return w.err
}
