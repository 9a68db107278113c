package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"vmhost/config"
)

// commandFlags is a flag set with a --config flag, and a usage line.
func commandFlags(name, usageLine string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	path := fs.String("config", "/etc/vmhost/config.yaml", "the configuration `FILE` (YAML)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", usageLine)
		fs.PrintDefaults()
	}
	return fs, path
}

// parseFlags parses args; it returns the exit code to end with, or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string) int {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	return -1
}

// loadConfig loads the configuration, printing why it cannot.
func loadConfig(path string) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return nil, false
	}
	return cfg, true
}
