package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// alice is a valid users: section, for cases about other keys.
const alice = "users:\n  alice: {keys: [\"<alice-key>\"]}\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // the error must contain this: file, line, key path and advice
	}{
		// Decoding.
		{"lisen: 0.0.0.0:22\n", `c.yaml:1: unknown key "lisen" in the top level; did you mean "listen"?`},
		{"network:\n  subnetz: 10.0.0.0/8\n", `c.yaml:2: unknown key "subnetz" in network; did you mean "subnet"?`},
		{"users:\n  alice:\n    kyes: [\"<alice-key>\"]\n", `c.yaml:3: unknown key "kyes" in users.alice; did you mean "keys"?`},
		{"users:\n  alice:\n    authorized_keys: x\n", `c.yaml:3: unknown key "authorized_keys" in users.alice; the keys here are keys,`},
		{"network:\n  nat: maybe\n", `c.yaml:2: network.nat: "maybe" is not true or false`},
		{"network:\n  forwards:\n    - {host_port: http}\n", `c.yaml:3: network.forwards[0].host_port: "http" is not a whole number`},
		{"defaults:\n  limits: {cpus: many}\n", `c.yaml:2: defaults.limits.cpus: "many" is not a number`},
		{"users:\n  alice:\n    keys: \"<alice-key>\"\n", `c.yaml:3: users.alice.keys: expected a list`},
		{"listen: [a, b]\n", `c.yaml:1: listen: expected a string, found a list`},
		{"network: 10.0.0.0/8\n", `c.yaml:1: network: expected keys and values`},
		{"- listen\n", `c.yaml:1: the top level must be keys and values`},
		{"listen: [\n", `c.yaml:1: not valid YAML: did not find expected node content`},
		{"network:\n\tbridge: br0\n", `c.yaml:2: not valid YAML: found character that cannot start any token; YAML does not allow tabs`},
		{"listen: 0.0.0.0:22\n---\nlisten: 0.0.0.0:23\n", `c.yaml:2: a second YAML document starts here`},
		{"listen: 0.0.0.0:22\ndata_dir: /a\nlisten: 0.0.0.0:23\n", `c.yaml:3: listen: set twice (first on line 1); keep one`},
		{"defaults:\n  <<: {image: busybox}\n", `c.yaml:2: defaults: merge keys (<<) are not supported`},
		{"users:\n  alice:\n    limits: {memory: lots}\n", `c.yaml:3: users.alice.limits.memory: "lots" is not a size; write bytes or a number with a unit, like 512MiB`},
		{"users:\n  alice:\n    limits: {memory: -1GiB}\n", `c.yaml:3: users.alice.limits.memory: "-1GiB" is not a size`},
		{"users:\n  alice:\n    limits: {memory: 1.0000001KiB}\n", `c.yaml:3: users.alice.limits.memory: "1.0000001KiB" is not a whole number of bytes`},

		// listen, data_dir, run_dir.
		{"listen: 0.0.0.0\n", `c.yaml:1: listen: "0.0.0.0" is not host:port with a port from 1 to 65535; write it like 0.0.0.0:2222`},
		{"listen: \":0\"\n", `c.yaml:1: listen: ":0" is not host:port`},
		{"listen: 0.0.0.0:70000\n", `c.yaml:1: listen: "0.0.0.0:70000" is not host:port`},
		{"listen: 0.0.0.0:ssh\n", `c.yaml:1: listen: "0.0.0.0:ssh" is not host:port`},
		{"listen: \"\"\n", `c.yaml:1: listen: "" is not host:port`},
		{"data_dir: \"\"\n", `c.yaml:1: data_dir: is empty; write a directory such as /var/lib/vmhost`},
		{"data_dir: /a\nrun_dir:\n", `c.yaml:2: run_dir: is empty; write a directory such as /run/vmhost`},

		// network.
		{"network:\n  bridge: averyveryverylongname\n", `c.yaml:2: network.bridge: "averyveryverylongname" is not a valid interface name; use 1 to 15 characters`},
		{"network:\n  bridge: br/0\n", `c.yaml:2: network.bridge: "br/0" is not a valid interface name`},
		{"network:\n  bridge: br 0\n", `c.yaml:2: network.bridge: "br 0" is not a valid interface name`},
		{"network:\n  bridge: ..\n", `c.yaml:2: network.bridge: ".." is not a valid interface name`},
		{"network:\n  bridge: \"\"\n", `c.yaml:2: network.bridge: "" is not a valid interface name`},
		{"network:\n  subnet: 10.0.0/16\n", `c.yaml:2: network.subnet: "10.0.0/16" is not an IPv4 subnet; write it like 10.213.0.0/16`},
		{"network:\n  subnet: 10.0.0.0\n", `c.yaml:2: network.subnet: "10.0.0.0" is not an IPv4 subnet`},
		{"network:\n  subnet: fd00::/64\n", `c.yaml:2: network.subnet: "fd00::/64" is not an IPv4 subnet`},
		{"network:\n  subnet: 10.213.0.1/16\n", `c.yaml:2: network.subnet: "10.213.0.1/16" is not the first address of its subnet; write 10.213.0.0/16`},
		{"network:\n  subnet: 10.213.0.0/31\n", `c.yaml:2: network.subnet: "10.213.0.0/31" has a /31 prefix; use a prefix from /8 to /30`},
		{"network:\n  subnet: 10.0.0.0/7\n", `c.yaml:2: network.subnet: "10.0.0.0/7" has a /7 prefix`},
		{"network:\n  subnet6: 10.0.0.0/8\n", `c.yaml:2: network.subnet6: "10.0.0.0/8" is not an IPv6 subnet; write a /64 like fd12:3456:789a::/64, or none for no IPv6`},
		{"network:\n  subnet6: \"\"\n", `c.yaml:2: network.subnet6: "" is not an IPv6 subnet`},
		{"network:\n  subnet6: fd12::/48\n", `c.yaml:2: network.subnet6: "fd12::/48" has a /48 prefix; guests get one /64`},
		{"network:\n  subnet6: fd12::1/64\n", `c.yaml:2: network.subnet6: "fd12::1/64" is not the first address of its subnet; write fd12::/64`},
		{"network:\n  subnet6: fe80::/64\n", `c.yaml:2: network.subnet6: "fe80::/64" is link-local, multicast or loopback`},
		{"network:\n  subnet6: ::ffff:10.0.0.0/120\n", `c.yaml:2: network.subnet6: "::ffff:10.0.0.0/120" is not an IPv6 subnet`},
		{"network:\n  nat6: maybe\n", `c.yaml:2: network.nat6:`},
		{alice + "network:\n  forwards:\n    - {host_port: 0, guest: alice, guest_port: 80}\n",
			`c.yaml:5: network.forwards[0].host_port: 0 is not a port; write a number from 1 to 65535`},
		{alice + "network:\n  forwards:\n    - {host_port: 80, guest: alice, guest_port: 65536}\n",
			`c.yaml:5: network.forwards[0].guest_port: 65536 is not a port`},
		{alice + "network:\n  forwards:\n    - host_port: 80\n      guest: alice\n      guest_port: 80\n      proto: sctp\n",
			`c.yaml:8: network.forwards[0].proto: "sctp" is not a protocol; write tcp or udp`},
		{alice + "network:\n  forwards:\n    - {host_port: 80, guest_port: 80}\n",
			`c.yaml:5: network.forwards[0].guest: "" is not a guest: "" is not a valid user name; write a user name (alice) or user+guest (alice+web)`},
		{alice + "network:\n  forwards:\n    - {host_port: 80, guest: bob, guest_port: 80}\n",
			`c.yaml:5: network.forwards[0].guest: no user named "bob"; add the user under users:`},
		{alice + "network:\n  forwards:\n    - {host_port: 80, guest: alice+, guest_port: 80}\n",
			`c.yaml:5: network.forwards[0].guest: "alice+" is not a guest: "" is not a valid host name`},
		{alice + "network:\n  forwards:\n    - {host_port: 80, guest: alice+Web, guest_port: 80}\n",
			`c.yaml:5: network.forwards[0].guest: "alice+Web" is not a guest: "Web" is not a valid host name`},
		{alice + "network:\n  forwards:\n    - {host_port: 80, guest: Alice+web, guest_port: 80}\n",
			`c.yaml:5: network.forwards[0].guest: "Alice+web" is not a guest: "Alice" is not a valid user name`},
		{"users:\n  _bob: {keys: [\"<alice-key>\"]}\nnetwork:\n  forwards:\n    - {host_port: 80, guest: _bob, guest_port: 80}\n",
			`c.yaml:5: network.forwards[0].guest: "_bob" is not a guest: "_bob" is not a valid host name`},
		{alice + "network:\n  forwards:\n    - {host_port: 80, guest: alice, guest_port: 80}\n    - {host_port: 80, guest: alice+web, guest_port: 8080}\n",
			`c.yaml:6: network.forwards[1].host_port: 80/tcp is already published by network.forwards[0]`},
		{alice + "network:\n  forwards:\n    - {host_port: 2222, guest: alice, guest_port: 22}\n",
			`c.yaml:5: network.forwards[0].host_port: 2222/tcp is the SSH port of listen`},

		// images.
		{"images:\n  debian: {source: docker}\n", `c.yaml:2: images.debian.source: "docker" is not a known source; write busybox, debootstrap or tar`},
		{"images:\n  debian: {suite: bookworm}\n", `c.yaml:2: images.debian.source: is missing; write source: busybox, debootstrap or tar`},
		{"images:\n  debian:\n    source: debootstrap\n", `c.yaml:2: images.debian.suite: a debootstrap image needs a suite, like suite: bookworm`},
		{"images:\n  custom:\n    source: tar\n", `c.yaml:2: images.custom.path: a tar image needs the path of a root filesystem tarball`},
		{"images:\n  Debian: {source: busybox}\n", `c.yaml:2: images.Debian: "Debian" is not a valid image name`},
		{"images:\n  " + strings.Repeat("a", 64) + ": {source: busybox}\n", `c.yaml:2: images.aaaa`},
		{"images:\n  tiny:\n    source: busybox\n    suite: bookworm\n", `c.yaml:4: images.tiny.suite: only debootstrap images take suite:; remove it or write source: debootstrap`},
		{"images:\n  debian:\n    source: debootstrap\n    suite: bookworm\n    path: /x.tar\n", `c.yaml:5: images.debian.path: only tar images take path:`},
		{"images:\n  debian:\n    source: debootstrap\n    suite: bookworm\n    mirror: ftp://x\n", `c.yaml:5: images.debian.mirror: "ftp://x" is not a mirror URL`},
		{"images:\n  debian:\n    source: debootstrap\n    suite: bookworm\n    variant: tiny\n", `c.yaml:5: images.debian.variant: "tiny" is not a debootstrap variant; write one of minbase`},
		{"images:\n  debian:\n    source: debootstrap\n    suite: bookworm\n    include:\n      - procps\n      - Vim\n",
			`c.yaml:7: images.debian.include[1]: "Vim" is not a Debian package name`},

		// defaults.
		{"defaults:\n  image: debian\n", `c.yaml:2: defaults.image: no image named "debian"; define it under images: or use one of busybox`},
		{"defaults:\n  image: \"\"\n", `c.yaml:2: defaults.image: no image named ""`},
		{"defaults:\n  max_guests: 0\n", `c.yaml:2: defaults.max_guests: 0 is too few; every user needs at least 1 guest`},

		// users.
		{"users:\n  Alice: {keys: [\"<alice-key>\"]}\n", `c.yaml:2: users.Alice: "Alice" is not a valid user name`},
		{"users:\n  alice.b: {keys: [\"<alice-key>\"]}\n", `c.yaml:2: users.alice.b: "alice.b" is not a valid user name`},
		{"users:\n  alice+web: {keys: [\"<alice-key>\"]}\n", `c.yaml:2: users.alice+web: "alice+web" is not a valid user name`},
		{"users:\n  " + strings.Repeat("a", 33) + ": {keys: [\"<alice-key>\"]}\n", `is not a valid user name`},
		{"users:\n  alice:\n    keys:\n      - \"<alice-key>\"\n      - ssh-ed25519 AAAAnotbase64\n",
			`c.yaml:5: users.alice.keys[1]: not an SSH public key line (`},
		{"users:\n  alice:\n    keys: [\"-----BEGIN OPENSSH PRIVATE KEY-----\"]\n", `c.yaml:3: users.alice.keys[0]: this is a private key; paste the public key instead`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\\n<bob-key>\"]\n", `c.yaml:3: users.alice.keys[0]: holds more than one line`},
		{"users:\n  alice:\n    image: busybox\n", `c.yaml:2: users.alice: has no way to log in; add keys:`},
		{"users:\n  alice:\n", `c.yaml:2: users.alice: has no way to log in`},
		{"users:\n  alice:\n    keys: ['tunnel=\"1\" <alice-key>']\n", `c.yaml:3: users.alice.keys[0]: unsupported option "tunnel"`},
		{"users:\n  alice:\n    keys: ['from=\"10.0.0.0/99\" <alice-key>']\n", `c.yaml:3: users.alice.keys[0]: option from=: "10.0.0.0/99" is not an address prefix`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    image: debian\n", `c.yaml:4: users.alice.image: no image named "debian"`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    max_guests: -1\n", `c.yaml:4: users.alice.max_guests: -1 is negative; write 1 or more, or leave it out for defaults.max_guests (3)`},

		// limits.
		{"defaults:\n  limits:\n    memory: 0\n", `c.yaml:3: defaults.limits.memory: 0 is not a memory size; write one like 512MiB, or leave it out for no limit`},
		{"defaults:\n  limits:\n    memory: 1MiB\n", `c.yaml:3: defaults.limits.memory: 1MiB is too little; a guest needs at least 4MiB`},
		{"defaults:\n  limits:\n    memory: 16GiB\n", `c.yaml:3: defaults.limits.memory: 16GiB is more than this host's memory (8GiB)`},
		{"defaults:\n  limits:\n    cpus: 0\n", `c.yaml:3: defaults.limits.cpus: 0 is not a number of CPUs`},
		{"defaults:\n  limits:\n    cpus: .nan\n", `c.yaml:3: defaults.limits.cpus: NaN is not a number of CPUs`},
		{"defaults:\n  limits:\n    cpus: 4.5\n", `c.yaml:3: defaults.limits.cpus: 4.5 is more than this host's 4 CPUs`},
		{"defaults:\n  limits:\n    pids: 0\n", `c.yaml:3: defaults.limits.pids: 0 is not a number of processes`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits: {memory: 0}\n", `c.yaml:4: users.alice.limits.memory: 0 is not a memory size`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits:\n      cpus: -1\n", `c.yaml:5: users.alice.limits.cpus: -1 is not a number of CPUs`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits:\n      pids: -5\n", `c.yaml:5: users.alice.limits.pids: -5 is not a number of processes`},
		{"defaults:\n  limits:\n    swap: 0\n", `c.yaml:3: defaults.limits.swap: 0 is not a size; write the ceiling of memory plus swap, like 1GiB`},
		{"defaults:\n  limits:\n    swap: lots\n", `c.yaml:3: defaults.limits.swap: "lots" is not a size`},
		{"defaults:\n  limits:\n    memory: 1GiB\n    swap: 9GiB\n", `c.yaml:4: defaults.limits.swap: 9GiB is more than this host's memory and swap (8GiB)`},
		{"defaults:\n  limits:\n    memory: 1GiB\n    swap: 512MiB\n", `c.yaml:4: defaults.limits.swap: 512MiB is less than memory (1GiB); swap is the ceiling of memory plus swap (as Docker's --memory-swap): write 1GiB for no swap`},
		{"defaults:\n  limits:\n    swap: 512MiB\n", `c.yaml:3: defaults.limits.swap: swap is the ceiling of memory plus swap (as Docker's --memory-swap); set memory too`},
		{"defaults:\n  limits: {memory: 512MiB, swap: 1GiB}\nusers:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits:\n      memory: 2GiB\n",
			`c.yaml:7: users.alice.limits.memory: 2GiB is more than swap (1GiB), the ceiling of memory plus swap of defaults.limits; set swap too, at least 2GiB`},
		{"defaults:\n  limits:\n    cpu_weight: 0\n", `c.yaml:3: defaults.limits.cpu_weight: 0 is not a weight; write one from 1 to 10000 (the share of CPU time against other guests; 100 is the default)`},
		{"defaults:\n  limits:\n    cpu_weight: 10001\n", `c.yaml:3: defaults.limits.cpu_weight: 10001 is not a weight`},
		{"defaults:\n  limits:\n    cpu_weight: heavy\n", `c.yaml:3: defaults.limits.cpu_weight: "heavy" is not a whole number`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits:\n      io_weight: -1\n", `c.yaml:5: users.alice.limits.io_weight: -1 is not a weight; write one from 1 to 10000 (the share of block I/O against other guests`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits:\n      cpus: 8\n", `c.yaml:5: users.alice.limits.cpus: 8 is more than this host's 4 CPUs`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits:\n      memory: 9GiB\n", `c.yaml:5: users.alice.limits.memory: 9GiB is more than this host's memory (8GiB)`},
		{"defaults:\n  limits:\n    io_weight: 1.5\n", `c.yaml:3: defaults.limits.io_weight: "1.5" is not a whole number`},
		{"defaults:\n  limits:\n    disk: 0\n", `c.yaml:3: defaults.limits.disk: 0 is not a disk size; write one like 10GiB, or leave it out for no limit`},
		{"defaults:\n  limits:\n    disk: lots\n", `c.yaml:3: defaults.limits.disk: "lots" is not a size`},
		{"users:\n  alice:\n    keys: [\"<alice-key>\"]\n    limits:\n      disk: 1MiB\n", `c.yaml:5: users.alice.limits.disk: 1MiB is too little; a guest's disk needs at least 16MiB`},
		{"defaults:\n  limits:\n    inodes: 0\n", `c.yaml:3: defaults.limits.inodes: 0 is too few inodes; write 1024 or more`},
		{"defaults:\n  limits:\n    inodes: 5000\n", `c.yaml:3: defaults.limits.inodes: inodes count on a guest's own disk, which only a disk limit gives it; set disk too`},
	}
	for _, tt := range tests {
		in := withKeys(tt.in)
		_, err := testLoader.Parse("c.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", in, err, tt.want)
		}
	}
}

func TestParseErrorsOrdered(t *testing.T) {
	in := withKeys(`network:
  forwards: [{host_port: 80, guest: bob, guest_port: 80}]
users:
  alice:
    keys: ["ssh-rsa nope"]
listen: nowhere
`)
	want := []string{
		`c.yaml:2: network.forwards[0].guest: no user named "bob"; add the user under users: or publish to another user's guest`,
		`c.yaml:5: users.alice.keys[0]: not an SSH public key line (ssh: no key found; last parsing error for ignored line: ssh: short read); paste one line of a .pub file, like "ssh-ed25519 AAAAC3Nz... alice@laptop"`,
		`c.yaml:6: listen: "nowhere" is not host:port with a port from 1 to 65535; write it like 0.0.0.0:2222 or [::]:2222`,
	}
	_, err := testLoader.Parse("c.yaml", []byte(in))
	var got []string
	if err != nil {
		got = strings.Split(err.Error(), "\n")
	}
	if !cmp.Equal(got, want) {
		t.Errorf("Parse(%q) = %v, want %v\ndiff (-got +want):\n%s", in, err, want, cmp.Diff(got, want))
	}
}

func TestParseUnknownHost(t *testing.T) {
	in := "defaults:\n  limits: {memory: 1TiB, cpus: 512}\n" + bob
	if _, err := (Loader{}).Parse("c.yaml", []byte(in)); err != nil {
		t.Errorf("Parse(%q) = %v, want no error when the host's facts are unknown", in, err)
	}
}
