package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Binary size units.
const (
	KiB Size = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

// sizeUnits maps lower-case unit suffixes to their number of bytes. The short
// forms K, M, G and T are binary, as docker reads them.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": int64(KiB), "kib": int64(KiB), "kb": 1e3,
	"m": int64(MiB), "mib": int64(MiB), "mb": 1e6,
	"g": int64(GiB), "gib": int64(GiB), "gb": 1e9,
	"t": int64(TiB), "tib": int64(TiB), "tb": 1e12,
}

// ParseSize reads a size such as "512MiB", "1GiB", "100M", "2G", "64KiB",
// "1.5GiB" or "1048576" (bytes). K, M, G, T and KiB, MiB, GiB, TiB count in
// 1024s; KB, MB, GB, TB in 1000s; the unit's case does not matter.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	n, okNum := new(big.Rat).SetString(num)
	if !ok || num == "" || !okNum {
		return 0, fmt.Errorf("%q is not a size; write bytes or a number with a unit, "+
			"like 512MiB, 1GiB, 100M or 1048576 (K, M, G, T and KiB, MiB, GiB, TiB count in 1024s; "+
			"KB, MB, GB, TB in 1000s)", s)
	}
	n.Mul(n, new(big.Rat).SetInt64(mult))
	if !n.IsInt() {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	if !n.Num().IsInt64() {
		return 0, fmt.Errorf("%q is too large for a size", s)
	}
	return Size(n.Num().Int64()), nil
}

// UnmarshalYAML reads a size written as ParseSize accepts it.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size such as 512MiB, found %s", kindName(n))
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalYAML writes the size as String does, so it reads back the same.
func (s Size) MarshalYAML() (any, error) {
	return s.String(), nil
}

// String renders the size in the largest binary unit that holds it exactly,
// such as "512MiB", or in bytes.
func (s Size) String() string {
	for _, u := range []struct {
		suffix string
		n      Size
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if s != 0 && s%u.n == 0 {
			return strconv.FormatInt(int64(s/u.n), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}
