package config

import (
	"maps"
	"net"
	"slices"
	"strconv"
)

// validator checks a decoded, completed configuration, recording its
// problems at the lines the report knows.
type validator struct {
	*report
	c    *Config
	host Host
}

// checks run in this order on every configuration; each records every
// problem it finds, so that one run shows them all.
var checks = []func(*validator){
	checkListen,
	checkDirs,
	checkBridge,
	checkSubnet,
	checkSubnet6,
	checkImages,
	checkDefaults,
	checkUsers,
	checkLimits,
	checkLifecycle,
	checkRecordFail,
	checkForwards,
	checkGuestBounds,
	checkSSH,
	checkGuests,
	checkMetrics,
	checkClasses,
	checkWeb,
	checkCluster,
}

// validate runs every check.
func validate(v *validator) {
	for _, check := range checks {
		check(v)
	}
}

// checkListen wants host:port with a port from 1 to 65535.
func checkListen(v *validator) {
	if _, err := listenPort(v.c.Listen); err != nil {
		v.addf("listen", "%q is not host:port with a port from 1 to 65535; write it like %s or [::]:2222", v.c.Listen, DefaultListen)
	}
}

// listenPort returns the port of a host:port address.
func listenPort(addr string) (int, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return parsePort(port)
}

// parsePort reads a port number from 1 to 65535.
func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || !validPort(p) {
		return 0, strconv.ErrRange
	}
	return p, nil
}

func validPort(p int) bool {
	return p >= 1 && p <= 65535
}

// checkDirs wants data_dir and run_dir set.
func checkDirs(v *validator) {
	if v.c.DataDir == "" {
		v.addf("data_dir", "is empty; write a directory such as %s, or leave the key out for that default", DefaultDataDir)
	}
	if v.c.RunDir == "" {
		v.addf("run_dir", "is empty; write a directory such as %s, or leave the key out for that default", DefaultRunDir)
	}
}

// sortedKeys returns the keys of a map in order, so errors come out the same
// way every run.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
