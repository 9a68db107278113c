package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Storage is what the daemon keeps of data_dir's file system for its own
// state (the storage section): below either reserve no new guest is made
// and no image build starts, and the guests that exist keep starting and
// being written down.
type Storage struct {
	// Reserve is the free space, in bytes, kept for the daemon.
	Reserve Size `yaml:"reserve"`
	// ReserveInodes is the free inodes kept for the daemon: a number, or a
	// share of the file system's inodes such as "1%".
	ReserveInodes Amount `yaml:"reserve_inodes"`
}

// DefaultReserve is storage.reserve left out.
const DefaultReserve = 256 * MiB

// DefaultReserveInodes is storage.reserve_inodes left out.
var DefaultReserveInodes = Amount{Percent: 1}

// Amount is a number of things, or a percentage of a total, written in the
// file as "10000" or "1%".
type Amount struct {
	// N is the number, when Percent is zero.
	N int64
	// Percent is the share of the total, from 0 to 100.
	Percent float64
}

// ParseAmount reads an amount such as "10000" or "1%" (up to 100%).
func ParseAmount(s string) (Amount, error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 100 {
			return Amount{}, fmt.Errorf("%q is not a percentage from 0%% to 100%%; write it like 1%%", s)
		}
		return Amount{Percent: f}, nil
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return Amount{}, fmt.Errorf("%q is not a number or a percentage; write it like 10000 or 1%%", s)
	}
	return Amount{N: n}, nil
}

// Of is the amount out of total: N, or Percent of total rounded up.
func (a Amount) Of(total uint64) uint64 {
	if a.Percent == 0 {
		return uint64(a.N)
	}
	n := uint64(float64(total) * a.Percent / 100)
	if float64(n) < float64(total)*a.Percent/100 {
		n++
	}
	return n
}

// String writes the amount as ParseAmount reads it.
func (a Amount) String() string {
	if a.Percent != 0 {
		return strconv.FormatFloat(a.Percent, 'f', -1, 64) + "%"
	}
	return strconv.FormatInt(a.N, 10)
}

// UnmarshalYAML reads an amount written as ParseAmount accepts it.
func (a *Amount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a number or a percentage such as 1%%, found %s", kindName(n))
	}
	v, err := ParseAmount(n.Value)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalYAML writes the amount as String does, so it reads back the same.
func (a Amount) MarshalYAML() (any, error) {
	return a.String(), nil
}

// defaultStorage fills in the keys of the storage section the file left out.
func defaultStorage(c *Config, r *report) {
	if !r.has("storage.reserve") {
		c.Storage.Reserve = DefaultReserve
	}
	if !r.has("storage.reserve_inodes") {
		c.Storage.ReserveInodes = DefaultReserveInodes
	}
}

// StorageReserve is what the daemon keeps of data_dir's file system.
func (c *Config) StorageReserve() Storage {
	return c.Storage
}
