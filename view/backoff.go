package view

import "time"

// Restart delays of a view server that keeps ending.
const (
	// stableRun is how long a server must have run for its end to be a
	// mishap, restarted at once, rather than a failure to start.
	stableRun = 10 * time.Second
	// firstDelay is the wait before the second start in a row that failed.
	firstDelay = 500 * time.Millisecond
	// maxDelay is the longest wait between starts.
	maxDelay = time.Minute
)

// nextDelay is the wait before starting the server again, after one that
// ran for ran and a previous wait of last: none after a stable run, else
// double the last one, from firstDelay up to maxDelay.
func nextDelay(ran, last time.Duration) time.Duration {
	if ran >= stableRun {
		return 0
	}
	if last <= 0 {
		return firstDelay
	}
	return min(2*last, maxDelay)
}
