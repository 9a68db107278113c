package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a length of time, written in the file as Go writes durations:
// "30s", "5m", "1h30m", "500ms", or "0".
type Duration time.Duration

// ParseDuration reads a duration such as "30s", "5m", "1h30m" or "0". A
// negative duration is an error.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write it like 30s, 5m or 1h30m (units ms, s, m, h), or 0", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative; write 0 or a positive duration like 30s", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML reads a duration written as ParseDuration accepts it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 30s, found %s", kindName(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration as String does, so it reads back the same.
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}

// String renders the duration as time.Duration does, such as "1m30s".
func (d Duration) String() string {
	return time.Duration(d).String()
}
