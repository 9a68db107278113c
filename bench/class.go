package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// benchClass is figure 9's class: students c01... with hosts pc and
// router, a setup script that writes a file, taught by benchUser.
const benchClass = "benchclass"

// classUsers returns the users and classes entries of figure 9's class of
// n students, all with the key pub, for the daemon's config; setup is its
// setup script's path.
func classUsers(n int, pub, setup string) string {
	var b strings.Builder
	var names []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("c%02d", i)
		names = append(names, name)
		fmt.Fprintf(&b, "  %s:\n    keys: [%q]\n", name, strings.TrimSpace(pub))
	}
	fmt.Fprintf(&b, "classes:\n  %s:\n    teachers: [%s]\n    students: [%s]\n    hosts: {pc: {}, router: {}}\n    setup: %q\n",
		benchClass, benchUser, strings.Join(names, ", "), setup)
	return b.String()
}

// writeClassSetup writes figure 9's setup script in dir and returns its
// path.
func writeClassSetup(dir string) (string, error) {
	p := filepath.Join(dir, "class-setup.sh")
	return p, os.WriteFile(p, []byte("#!/bin/sh\necho \"$VMHOST_STUDENT $VMHOST_HOST\" > /root/setup-marker\n"), 0o644)
}

// classFigure is figure 9: `vmhostd lab provision` of a class of n
// students with two hosts each (every guest made, started and set up),
// the host memory the class then pins while idle, and its removal.
func classFigure(d *daemon, n int) (row, error) {
	before, err := pinnedMemory()
	if err != nil {
		return row{}, err
	}
	took, err := timeIt(func() error { return run(d.bin, "lab", "provision", benchClass, "--config", d.config) })
	if err != nil {
		return row{}, err
	}
	time.Sleep(2 * time.Second) // let the new guests settle
	after, err := pinnedMemory()
	if err != nil {
		return row{}, err
	}
	p, err := initPSS(d)
	if err != nil {
		return row{}, err
	}
	rm, err := timeIt(func() error { return run(d.bin, "lab", "rm", benchClass, "--yes", "--config", d.config) })
	if err != nil {
		return row{}, err
	}
	guests := 2 * n
	return row{
		figure: fmt.Sprintf("9. class: %d students x 2 hosts", n),
		vmhost: fmt.Sprintf("provision %s (%s per guest, setup included); idle: %s host memory pinned per student (init PSS %s); rm %s",
			ms(took), ms(took/time.Duration(guests)), mib((after-before)/int64(n)), mib(p), ms(rm)),
		goal: "provision under a minute; under 8 MiB per idle student",
	}, nil
}
