package main

import (
	"fmt"
	"sync"
	"time"
)

// warmLogin is figure 1: `ssh LOGIN@host true` into a running guest against
// the same into sshd, runs interleaved. It returns the row and vmhost's
// median, which figure 2 subtracts.
func warmLogin(c client, vm, base target, runs int) (row, time.Duration, error) {
	for _, t := range []target{vm, base} { // the guest starts; caches warm
		if _, err := c.run(t, t.login, "true"); err != nil {
			return row{}, 0, err
		}
	}
	var vms, bases []time.Duration
	for i := range runs {
		for _, t := range inTurn(i, vm, base) {
			d, err := timeIt(func() error { _, err := c.run(t, t.login, "true"); return err })
			if err != nil {
				return row{}, 0, err
			}
			if t.name == vm.name {
				vms = append(vms, d)
			} else {
				bases = append(bases, d)
			}
		}
	}
	mv, mb := median(vms), median(bases)
	return row{
		figure: fmt.Sprintf("1. warm login, `ssh host true` (median of %d)", runs),
		vmhost: ms(mv), baseline: ms(mb) + " (sshd)", ratio: ratio(float64(mv), float64(mb)), goal: "0.25x of sshd",
	}, mv, nil
}

// firstLogin is figure 2: the first login into a new guest, created on the
// spot, minus the warm login.
func firstLogin(c client, vm target, warm time.Duration, runs int) (row, error) {
	var ds []time.Duration
	for i := range runs {
		login := fmt.Sprintf("%s+first%03d", benchUser, i)
		d, err := timeIt(func() error { _, err := c.run(vm, login, "true"); return err })
		if err != nil {
			return row{}, err
		}
		ds = append(ds, d)
	}
	m := median(ds)
	return row{
		figure: fmt.Sprintf("2. first login (guest created) minus warm login (median of %d)", runs),
		vmhost: fmt.Sprintf("%s (first login %s)", ms(m-warm), ms(m)), goal: "under 30 ms",
	}, nil
}

// concurrentLogins is figure 7: n logins at once into a running guest,
// against the same into sshd: p50, p99 and errors.
func concurrentLogins(c client, vm, base target, n int) (row, error) {
	res := map[string]string{}
	var p50s [2]time.Duration
	for i, t := range []target{vm, base} {
		ds, errs := loginBurst(c, t, n)
		p50s[i] = median(ds)
		res[t.name] = fmt.Sprintf("p50 %s, p99 %s, %d errors", ms(median(ds)), ms(percentile(ds, 99)), errs)
	}
	return row{
		figure: fmt.Sprintf("7. %d concurrent logins", n),
		vmhost: res[vm.name], baseline: res[base.name] + " (sshd)",
		ratio: ratio(float64(p50s[0]), float64(p50s[1])) + " (p50)", goal: "no errors",
	}, nil
}

// loginBurst starts n logins at once and returns their times and how many
// failed.
func loginBurst(c client, t target, n int) ([]time.Duration, int) {
	var (
		mu   sync.Mutex
		ds   []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			d, err := timeIt(func() error { _, err := c.run(t, t.login, "true"); return err })
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				return
			}
			ds = append(ds, d)
		}()
	}
	close(start)
	wg.Wait()
	return ds, errs
}
