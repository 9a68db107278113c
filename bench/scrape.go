package main

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// scrapeRuns is how many scrapes scrapeTime takes the median of.
const scrapeRuns = 5

// scrapeTime returns the median time of a whole scrape of the daemon's
// /metrics, every running guest's cgroup and interface read.
func scrapeTime(d *daemon) (time.Duration, error) {
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", d.metricsPort)
	var times []time.Duration
	for range scrapeRuns {
		t, err := timeIt(func() error { return scrapeOnce(url) })
		if err != nil {
			return 0, fmt.Errorf("scraping %s: %w", url, err)
		}
		times = append(times, t)
	}
	return median(times), nil
}

// scrapeOnce GETs url and reads the whole answer.
func scrapeOnce(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
