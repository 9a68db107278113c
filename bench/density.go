package main

import (
	"fmt"
	"time"
)

// density is figure 3: idle guests made one after another up to each count,
// with the host memory each one pins (pinnedMemory before and after, over
// the count) and the median PSS of their inits, and the time to make the
// last ones against the first ones: medians of a tenth of the count each, at
// least ten, since one login varies by a few milliseconds either way.
func density(c client, d *daemon, vm target, counts []int) ([]row, error) {
	before, err := pinnedMemory()
	if err != nil {
		return nil, err
	}
	var rows []row
	var times []time.Duration
	made := 0
	for _, n := range counts {
		for ; made < n; made++ {
			login := fmt.Sprintf("%s+d%04d", benchUser, made)
			t, err := timeIt(func() error { _, err := c.run(vm, login, "true"); return err })
			if err != nil {
				return rows, fmt.Errorf("guest %d of %d: %w", made+1, n, err)
			}
			times = append(times, t)
		}
		time.Sleep(2 * time.Second) // let the new guests settle
		after, err := pinnedMemory()
		if err != nil {
			return rows, err
		}
		p, err := initPSS(d)
		if err != nil {
			return rows, err
		}
		scrape, err := scrapeTime(d)
		if err != nil {
			return rows, err
		}
		w := min(len(times), max(10, n/10))
		first, last := median(times[:w]), median(times[len(times)-w:])
		rows = append(rows, row{
			figure: fmt.Sprintf("3. density: %d idle guests", n),
			vmhost: fmt.Sprintf("%s host memory pinned per guest (init PSS %s); login that made guest 1-%d %s, %d-%d %s; one /metrics scrape %s",
				mib((after-before)/int64(n)), mib(p), w, ms(first), n-w+1, n, ms(last), ms(scrape)),
			ratio: ratio(float64(last), float64(first)) + " (last/first)", goal: "under 4 MiB per guest, flat",
		})
	}
	return rows, nil
}

// initPSS returns the median PSS of the running guests' inits.
func initPSS(d *daemon) (int64, error) {
	states, err := d.guests()
	if err != nil {
		return 0, err
	}
	var ps []float64
	for _, st := range states {
		if st.InitPid > 1 && alive(st.InitPid, st.InitStart) {
			if p, err := pss(st.InitPid); err == nil {
				ps = append(ps, float64(p))
			}
		}
	}
	return int64(medianFloat(ps)), nil
}
