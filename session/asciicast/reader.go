package asciicast

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine bounds one line of a recording that is read: a header or one
// event. The writer's events are one read of a terminal each, far smaller.
const MaxLine = 1 << 20

// Event is one event of a recording.
type Event struct {
	Time float64 // seconds since the start
	Code string  // Output, Input, Resize or Marker
	Data string
}

// Reader reads a recording.
type Reader struct {
	s    *bufio.Scanner
	line int
}

// NewReader reads the header of the recording in r and returns it with the
// Reader of its events.
func NewReader(r io.Reader) (Header, *Reader, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), MaxLine)
	rd := &Reader{s: s}
	var h Header
	line, err := rd.next()
	if errors.Is(err, io.EOF) {
		return h, nil, errors.New("reading the recording's header: the file is empty")
	}
	if err != nil {
		return h, nil, fmt.Errorf("reading the recording's header: %w", err)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("reading the recording's header: %w", err)
	}
	if h.Version != 2 {
		return h, nil, fmt.Errorf("reading the recording's header: version %d, want 2 (asciicast v2)", h.Version)
	}
	return h, rd, nil
}

// next returns the next line that is not blank.
func (r *Reader) next() ([]byte, error) {
	for r.s.Scan() {
		r.line++
		if line := bytes.TrimSpace(r.s.Bytes()); len(line) > 0 {
			return line, nil
		}
	}
	if err := r.s.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", r.line+1, err)
	}
	return nil, io.EOF
}

// Next returns the next event, or io.EOF after the last.
func (r *Reader) Next() (Event, error) {
	line, err := r.next()
	if err != nil {
		return Event{}, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil || len(raw) != 3 {
		return Event{}, fmt.Errorf("line %d: not an event [time, code, data]", r.line)
	}
	var e Event
	errs := errors.Join(json.Unmarshal(raw[0], &e.Time), json.Unmarshal(raw[1], &e.Code), json.Unmarshal(raw[2], &e.Data))
	if errs != nil || e.Time < 0 {
		return Event{}, fmt.Errorf("line %d: not an event [time, code, data]", r.line)
	}
	return e, nil
}
