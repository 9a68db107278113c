package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	aliceKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILjMP6zFnJNrsXMKdTdonmZno8Ei4Db9bzlBpzvF172I alice@laptop"
	bobKey   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEU3mISydPQCjEogYKKmOjYIhONMRSnjC7VazlDy6qby bob@desk"
)

// testLoader checks limits against a fixed host, so tests pass anywhere.
var testLoader = Loader{Host: Host{MemTotal: int64(8 * GiB), CPUs: 4}}

// withKeys puts the test keys where a config text says <alice-key> and <bob-key>.
func withKeys(s string) string {
	return strings.NewReplacer("<alice-key>", aliceKey, "<bob-key>", bobKey).Replace(s)
}

// designExample is the configuration of DESIGN.md, with real keys.
var designExample = withKeys(`listen: "0.0.0.0:2222"          # SSH listen address
data_dir: /var/lib/vmhost
run_dir: /run/vmhost
network:
  bridge: vmhost0
  subnet: 10.213.0.0/16          # the gateway is the first address
  nat: true
  isolate: true                  # guests cannot reach each other
  forwards:                      # published ports: host port -> guest port
    - {host_port: 8080, guest: alice, guest_port: 80, proto: tcp}
images:
  busybox: {source: busybox}     # tiny, from the host's busybox-static; instant
  debian:
    source: debootstrap
    suite: bookworm
    mirror: ""                   # default: the Debian mirror the host's apt uses
    include: [iproute2, iputils-ping, procps, less, ca-certificates]
  custom: {source: tar, path: /srv/rootfs.tar.gz}
defaults:
  image: busybox
  max_guests: 3
  limits: {memory: 512MiB, cpus: 1.5, pids: 512}
users:
  alice:
    keys: ["<alice-key>"]
    authorized_keys_file: /home/alice/.ssh/authorized_keys
    image: debian
    limits: {memory: 1GiB}
`)

func ptr[T any](v T) *T { return &v }

// bob is a users: section with one user, the least a configuration holds.
var bob = withKeys("users:\n  bob: {keys: [\"<bob-key>\"]}\n")

// withBob adds the user of bob to c.
func withBob(c *Config) *Config {
	c.Users = map[string]User{"bob": {Keys: []string{bobKey}}}
	return c
}

// defaultConfig is what an empty file at path means.
func defaultConfig(path string) *Config {
	return &Config{
		Path:    path,
		Listen:  "0.0.0.0:2222",
		DataDir: "/var/lib/vmhost",
		RunDir:  "/run/vmhost",
		Network: Network{Bridge: "vmhost0", Subnet: "10.213.0.0/16", Subnet6: DefaultSubnet6("vmhost0", "10.213.0.0/16"),
			NAT: ptr(true), NAT6: ptr(true), Isolate: ptr(true), Bounds: defaultBounds},
		Images:   map[string]Image{"busybox": {Source: "busybox"}},
		Defaults: Defaults{Image: "busybox", MaxGuests: 3, Reattach: ptr(true), RecordFail: RecordFailOpen},
		SSH:      defaultSSHSection(),
		Storage:  Storage{Reserve: 256 * MiB, ReserveInodes: Amount{Percent: 1}},
		Guests:   Guests{View: ViewLXCFS},
	}
}

// defaultBounds is network.bounds left out.
var defaultBounds = GuestBounds{RelayConnections: 64, UDPExchanges: 32, DNSConnections: 8, DNSQueries: 16, DNSAnswersPerSecond: 100,
	ConntrackPerGuest: 4096}

func TestParseGuestBounds(t *testing.T) {
	const users = "users: {bob: {keys: [\"" + "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEU3mISydPQCjEogYKKmOjYIhONMRSnjC7VazlDy6qby bob@desk" + "\"]}}\n"
	c, err := testLoader.Parse("/c.yaml", []byte("network:\n  bounds: {relay_connections: 5, dns_answers_per_second: 7, conntrack_per_guest: 64}\n"+users))
	if err != nil {
		t.Fatal(err)
	}
	want := defaultBounds
	want.RelayConnections, want.DNSAnswersPerSecond, want.ConntrackPerGuest = 5, 7, 64
	if c.Network.Bounds != want {
		t.Errorf("network.bounds = %+v, want %+v", c.Network.Bounds, want)
	}
	_, err = testLoader.Parse("/c.yaml", []byte("network:\n  bounds:\n    dns_queries: 0\n"+users))
	if want := "c.yaml:3: network.bounds.dns_queries: 0 is out of range; write 1 to 100000 (default 16)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("dns_queries: 0 = %v, want %q", err, want)
	}
	_, err = testLoader.Parse("/c.yaml", []byte("network:\n  bounds:\n    conntrack_per_guest: 0\n"+users))
	if want := "c.yaml:3: network.bounds.conntrack_per_guest: 0 is out of range; write 1 to 4194304 (default 4096)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("conntrack_per_guest: 0 = %v, want %q", err, want)
	}
}

func TestParse(t *testing.T) {
	const name = "/etc/vmhost/config.yaml"
	full := defaultConfig(name)
	full.Network.Forwards = []Forward{{HostPort: 8080, Guest: "alice", GuestPort: 80, Proto: "tcp"}}
	full.Images = map[string]Image{
		"busybox": {Source: "busybox"},
		"debian": {Source: "debootstrap", Suite: "bookworm",
			Include: []string{"iproute2", "iputils-ping", "procps", "less", "ca-certificates"}},
		"custom": {Source: "tar", Path: "/srv/rootfs.tar.gz"},
	}
	full.Defaults.Limits = Limits{Memory: 512 * MiB, CPUs: 1.5, Pids: 512}
	full.Users = map[string]User{"alice": {
		Keys:               []string{aliceKey},
		AuthorizedKeysFile: "/home/alice/.ssh/authorized_keys",
		Image:              "debian",
		Limits:             Limits{Memory: GiB},
	}}

	withUser := defaultConfig(name)
	withUser.Users = map[string]User{"bob": {Keys: []string{bobKey}}}
	withUser.Network.Forwards = []Forward{{HostPort: 53, Guest: "bob+dns", GuestPort: 53, Proto: "tcp"}}

	relative := defaultConfig(name)
	relative.DataDir = "/etc/vmhost/state"
	relative.RunDir = "/etc/run"
	relative.Images["custom"] = Image{Source: "tar", Path: "/etc/vmhost/rootfs.tar"}
	relative.Users = map[string]User{"alice": {AuthorizedKeysFile: "/etc/vmhost/.run/alice.pub"}}

	ownBusybox := withBob(defaultConfig(name))
	ownBusybox.Network.NAT = ptr(false)
	ownBusybox.Images["busybox"] = Image{Source: "tar", Path: "/srv/bb.tar"}
	ownBusybox.Defaults.MaxGuests = 1

	certOnly := defaultConfig(name)
	certOnly.Users = map[string]User{"carol": {}}
	certOnly.SSH.TrustedUserCAKeys = "/etc/vmhost/user_ca.pub"
	certOnly.SSH.HostCertificates = []string{"/etc/vmhost/host-cert.pub"}

	tests := []struct {
		in   string
		want *Config
	}{
		{designExample, full},
		{"ssh: {trusted_user_ca_keys: user_ca.pub, host_certificates: [host-cert.pub]}\nusers:\n  carol: {}\n", certOnly},
		{bob, withBob(defaultConfig(name))},
		{"---\n" + bob, withBob(defaultConfig(name))},
		{"network:\nimages:\n" + bob, withBob(defaultConfig(name))},
		{withKeys("users:\n  bob: {keys: [\"<bob-key>\"]}\nnetwork:\n  forwards: [{host_port: 53, guest: bob+dns, guest_port: 53}]\n"), withUser},
		{"data_dir: state\nrun_dir: ../run\nimages:\n  custom: {source: tar, path: rootfs.tar}\n" +
			"users:\n  alice: {authorized_keys_file: .run/alice.pub}\n", relative},
		{"network: {nat: false}\nimages:\n  busybox: {source: tar, path: /srv/bb.tar}\ndefaults: {max_guests: 1}\n" + bob, ownBusybox},
	}
	for _, tt := range tests {
		got, err := testLoader.Parse(name, []byte(tt.in))
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %v, %v, want %v\ndiff (-got +want):\n%s", tt.in, got, err, tt.want, cmp.Diff(got, tt.want))
		}
	}
}

func TestParseRelativeName(t *testing.T) {
	got, err := testLoader.Parse("config.yaml", []byte("data_dir: state\n"+bob))
	wd, _ := os.Getwd()
	want := filepath.Join(wd, "state")
	if err != nil || got.DataDir != want || got.Path != filepath.Join(wd, "config.yaml") {
		t.Errorf("Parse(%q) = %+v, %v, want data_dir %v", "data_dir: state", got, err, want)
	}
}

func TestLoadExampleFile(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Loading must not need the key file; make it exist anyway, as make run does.
	if err := os.MkdirAll(filepath.Join(dir, ".run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".run", "alice.pub"), []byte(aliceKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := defaultConfig(path)
	want.Defaults.Limits = Limits{Memory: 512 * MiB, CPUs: 1, Pids: 512, Disk: 10 * GiB}
	want.Network.Forwards = []Forward{}
	want.Users = map[string]User{"alice": {AuthorizedKeysFile: filepath.Join(dir, ".run", "alice.pub")}}
	got, err := testLoader.Load(path)
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("Load(%q) = %v, %v, want %v\ndiff (-got +want):\n%s", path, got, err, want, cmp.Diff(got, want))
	}
}

func TestLoadRepoExample(t *testing.T) {
	if _, err := Load("../config.example.yaml"); err != nil {
		t.Errorf("Load(%q) = %v, want no error", "../config.example.yaml", err)
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "reading config") || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(%q) = %v, want an error reading %s", path, err, path)
	}
}

func TestSubnet6(t *testing.T) {
	tests := []struct{ in, want6 string }{
		{"", DefaultSubnet6("vmhost0", "10.213.0.0/16")},
		{"network: {bridge: vmhost1}\n", DefaultSubnet6("vmhost1", "10.213.0.0/16")},
		{"network: {subnet6: \"2001:db8:1:2::/64\", nat6: false}\n", "2001:db8:1:2::/64"},
		{"network: {subnet6: none}\n", ""},
	}
	for _, tt := range tests {
		c, err := testLoader.Parse("/c.yaml", []byte(tt.in+bob))
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tt.in, err)
		}
		got := ""
		if p := c.Subnet6Prefix(); p.IsValid() {
			got = p.String()
		}
		if got != tt.want6 || c.NAT6Enabled() != !strings.Contains(tt.in, "nat6: false") {
			t.Errorf("Parse(%q): subnet6 %q, nat6 %v; want %q", tt.in, got, c.NAT6Enabled(), tt.want6)
		}
	}
	a, b := DefaultSubnet6("vmhost0", "10.213.0.0/16"), DefaultSubnet6("vmhost0", "10.214.0.0/16")
	if a == b || !strings.HasPrefix(a, "fd") || !strings.HasSuffix(a, "::/64") || a != DefaultSubnet6("vmhost0", "10.213.0.0/16") {
		t.Errorf("DefaultSubnet6 = %s and %s; want two stable, different fdXX:...::/64", a, b)
	}
}
