package config

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts has users,
// and that every line of every error starts with the file name.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		designExample,
		"",
		"lisen: 0.0.0.0:22\n",
		"network:\n  subnet: 10.0.0/16\n  bridge: a/b\n",
		"users:\n  alice:\n    keys: [nope]\n    limits: {memory: 0, cpus: -1}\n",
		"images: &i {busybox: *i}\n",
		"users: {alice: &a {keys: [*a]}}\n",
		"listen: [\n",
		"a:\n\tb\n",
		"--- 1\n--- 2\n",
		"defaults: {<<: {image: busybox}, limits: {memory: 1.5GiB}}\n",
		"network: {forwards: [{host_port: 1, guest: a+b}, {host_port: 1}]}\n",
		"users: {}\n",
		"users:\n  bob: {keys: [\"<bob-key>\"]}\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nusers: {bob: {keys: *b}}\n",
	} {
		f.Add(withKeys(seed))
	}
	f.Fuzz(func(t *testing.T, in string) {
		const name = "fuzz.yaml"
		c, err := testLoader.Parse(name, []byte(in))
		if err == nil {
			if c == nil || len(c.Users) == 0 {
				t.Fatalf("Parse(%q) = %v, nil, want a config with users or an error", in, c)
			}
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, name+":") {
				t.Fatalf("Parse(%q) = %v, want every line to start with %q", in, err, name+":")
			}
		}
	})
}
