package asciicast

import (
	"errors"
	"io"
	"time"
)

// Play writes the output of the recording in r to out, waiting between
// events as recorded, divided by speed and capped at idle (0: no cap).
func Play(r io.Reader, out io.Writer, speed float64, idle time.Duration, sleep func(time.Duration)) error {
	_, rd, err := NewReader(r)
	if err != nil {
		return err
	}
	last := 0.0
	for {
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if e.Code != Output {
			continue
		}
		wait := time.Duration((e.Time - last) / speed * float64(time.Second))
		if idle > 0 && wait > idle {
			wait = idle
		}
		sleep(max(wait, 0))
		last = e.Time
		if _, err := io.WriteString(out, e.Data); err != nil {
			return err
		}
	}
}
