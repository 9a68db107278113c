package e2e

import (
	"archive/tar"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Red team attacks from inside a guest as its root, found after the first
// round of issue 14's work. A test that still fails is skipped with the
// finding named, so the branch stays green until the lead fixes it.

// TestRedTeamImageDeviceNode gives bob an image from a tarball holding a
// device node, as `docker export` or an LXC rootfs may, and has bob's root
// reach it past the guest's private /dev: through a bind mount of / (which
// shows the image's own /dev) and after `umount -l /dev`. The node is the
// host's /dev/kmsg: a line written there lands in the host's kernel log.
// Neither path may open it.
func TestRedTeamImageDeviceNode(t *testing.T) {
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	tarball := filepath.Join(d.baseDir, "devnode.tar.gz")
	entries := busyboxEntries(t)
	for _, applet := range []string{"mkdir", "mount", "umount", "printf"} {
		entries = append(entries, tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox"}})
	}
	entries = append(entries,
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "dev/", Mode: 0o755}},
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "mnt/", Mode: 0o755}},
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/kmsg", Devmajor: 1, Devminor: 11, Mode: 0o600}},
	)
	writeTarball(t, tarball, entries)
	d.writeConfig(t, withImage(t, d.cfg.yaml(), "devnode", fmt.Sprintf("{source: tar, path: %q}", tarball), "bob"))
	d.start(t)

	tag := fmt.Sprintf("vmhost-red-%06x", rand.IntN(1<<24))
	script := fmt.Sprintf(`mkdir -p /mnt/r && mount --bind / /mnt/r && printf '%s-bind\n' > /mnt/r/dev/kmsg && echo bind=ok
umount -l /dev && printf '%s-umount\n' > /dev/kmsg && echo umount=ok
true`, tag, tag)
	out, errOut, code := d.ssh(t, "bob", script)
	t.Logf("guest: exit %d, stdout %q, stderr %q", code, out, errOut)
	dmesg, err := exec.Command("dmesg").Output()
	if err != nil {
		t.Fatalf("reading the host's kernel log: %v", err)
	}
	for _, way := range []string{"bind", "umount"} {
		if strings.Contains(string(dmesg), tag+"-"+way) {
			t.Errorf("guest root wrote into the host's kernel log through the image's /dev/kmsg (%s): a device node of an image opens the host's device", way)
		}
	}
}

// TestRedTeamInitReach tries the ways into PID 1's memory and descriptors
// that init-tamper does not: process_vm_readv, /proc/1/task/*/fd,
// /proc/1/{root,cwd,exe,map_files,maps,stack,syscall}, kcmp, and ptrace and
// pidfd_getfd from a nested user namespace holding every capability there.
// All are refused today; this keeps them so.
func TestRedTeamInitReach(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	facts := d.attack(t, "alice", "red-init-reach")
	for k, v := range d.attack(t, "alice", "red-init-nested") {
		facts[k] = v
	}
	keys := []string{"process_vm_readv", "task_fd_open", "readlink_root", "readlink_cwd", "readlink_exe",
		"map_files", "maps", "stack", "syscall", "kcmp", "nested_ptrace", "nested_getfd"}
	for _, k := range keys {
		if v, ok := facts[k]; !ok || v == "ok" {
			t.Errorf("from inside the guest, %s on PID 1 = %q, want it refused (all facts: %v)", k, v, facts)
		}
	}
	if facts["nested_caps"] == "" || facts["nested_caps"] == "0000000000000000" {
		t.Errorf("the nested user namespace had no capabilities (%q): the attack did not run as meant", facts["nested_caps"])
	}
}

// TestRedTeamSpawnRace races the init's forks: while the daemon starts
// sessions in alice's guest, guest root opens a pidfd on every new process
// as soon as it shows and takes its descriptors. A child between fork and
// exec still shares the init's (non-dumpable) memory, so none of the
// init's sockets or its sealed binary may come out.
func TestRedTeamSpawnRace(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	res := d.attackInBackground(t, "alice", "red-spawn-race", "8")
	for range 30 {
		d.mustSSH(t, "alice", "true")
	}
	facts := <-res
	if facts["seen"] == "" || facts["seen"] == "0" {
		t.Fatalf("the race saw no new process (facts: %v)", facts)
	}
	for k, v := range facts {
		if strings.HasPrefix(k, "took_") {
			t.Errorf("guest root took %s descriptors of the init's children %s times", strings.TrimPrefix(k, "took_"), v)
		}
	}
}

// TestRedTeamDNSRateLimit floods the gateway's DNS server from alice's
// guest with 4,000 queries in 2 s from one socket: a server with response
// rate limiting (issue 15, like BIND's RRL) answers a small share and drops
// the rest; one that answers every query lets a guest buy the daemon's CPU
// with its own (measured by hand: a guest limited to half a core made the
// daemon spend a third of a core and bob's logins took 0.45 s instead of
// 0.05 s).
func TestRedTeamDNSRateLimit(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	facts := d.attack(t, "alice", "red-dns-rate", d.gateway(t).String()+":53", "4000", "2")
	sent, _ := strconv.Atoi(facts["sent"])
	answered, _ := strconv.Atoi(facts["answered"])
	if sent < 3000 {
		t.Fatalf("the guest sent only %d queries (facts: %v)", sent, facts)
	}
	if answered > sent/4 {
		t.Errorf("the DNS server answered %d of %d queries sent in 2 s from one guest: no response rate limiting", answered, sent)
	}
}

// TestRedTeamDeepTree plants in alice's guest a chain of nested directories
// deeper than the daemon's open files limit, cheap to make (one mkdirat and
// openat per level, 25,000 levels in 3 s). os.RemoveAll holds a descriptor
// per level: `guest reset` then takes the daemon to its limit (19,048 of
// 20,000 descriptors seen) and fails with "too many open files" in an error
// of 40 KB (the whole path, in the log too); `guest rm` fails the same way
// after renaming the guest's directory away, which leaves alice's guest
// "broken" (its upper directory is gone) and the tree on the host for good.
// Both must succeed, whatever the guest's files are.
func TestRedTeamDeepTree(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	limit := daemonNoFile(t, d)
	if limit > 100000 {
		t.Skipf("the daemon's open files limit is %d: a chain that deep takes too long to make here", limit)
	}
	depth := strconv.Itoa(limit + 2000)
	t.Cleanup(func() { removeGuestTrees(t, d, "alice") })
	d.uploadAttacker(t, "alice")
	if got := d.attack(t, "alice", "red-deep-dirs", "/deep", depth)["depth"]; got != depth {
		t.Fatalf("the guest made a chain %s deep, want %s", got, depth)
	}
	if r := d.admin(t, "", "guest", "reset", "alice", "--yes", "--force"); r.code != 0 {
		t.Errorf("guest reset of a guest with a %s-deep directory chain: exit %d, stderr %d bytes: %.300s", depth, r.code, len(r.stderr), r.stderr)
	}
	if out, errOut, code := d.ssh(t, "alice", "ls -d /deep; true"); code != 0 || strings.Contains(out, "/deep") {
		t.Errorf("after reset, alice's guest: exit %d, stdout %q, stderr %q; want it running without /deep", code, out, errOut)
	}
	d.uploadAttacker(t, "alice")
	d.attack(t, "alice", "red-deep-dirs", "/deep", depth)
	if r := d.admin(t, "", "guest", "rm", "alice", "--yes", "--force"); r.code != 0 {
		t.Errorf("guest rm of a guest with a %s-deep directory chain: exit %d, stderr %d bytes: %.300s", depth, r.code, len(r.stderr), r.stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(d.dataDir, "guests", "*alice*")); len(left) > 0 {
		t.Errorf("guest rm left %v on the host", left)
	}
}

// daemonNoFile is the soft RLIMIT_NOFILE of the running daemon.
func daemonNoFile(t *testing.T, d *daemon) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", d.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 5 && strings.HasPrefix(l, "Max open files") {
			n, err := strconv.Atoi(f[3])
			if err != nil {
				t.Fatalf("reading the daemon's open files limit from %q: %v", l, err)
			}
			return n
		}
	}
	t.Fatal("no open files limit in the daemon's /proc/PID/limits")
	return 0
}

// removeGuestTrees removes login's guest directories, also one renamed
// away by a failed rm, with rm -rf, which copes with any depth (the
// harness's own clean-up, os.RemoveAll, does not).
func removeGuestTrees(t *testing.T, d *daemon, login string) {
	dirs, _ := filepath.Glob(filepath.Join(d.dataDir, "guests", "*"+login+"*"))
	for _, dir := range dirs {
		if out, err := exec.Command("rm", "-rf", "--one-file-system", dir).CombinedOutput(); err != nil {
			t.Logf("removing %s: %v %s", dir, err, out)
		}
	}
}

// TestRedTeamSFTPAuditMemory grows the daemon's memory from alice's own
// client and guest. Guest root mounts a tmpfs over /proc, so the init's
// /proc/self/exe (the path it starts the SFTP server from) is a script of
// the guest's: a server that answers the version and one open, with a
// handle of 8,000 bytes, and then reads without answering. The client then
// sends close requests for that handle, each with a new id: the SFTP audit
// keeps every one (closing, with its handle) until an answer that never
// comes. Measured by hand: 60,000 requests in 16 s took the daemon from
// 104 MB to 835 MB; nothing bounds it short of the OOM killer.
func TestRedTeamSFTPAuditMemory(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	d.mustSSH(t, "alice", `mkdir -p /fake && printf '#!/bin/sh\nexec `+attackerPath+` red-sftp-sink 8000\n' > /fake/exe &&
chmod 755 /fake/exe && mount -t tmpfs none /proc && mkdir /proc/self && cp /fake/exe /proc/self/exe`)
	r, w := io.Pipe()
	cmd := exec.Command(sshPath, append(d.sshArgs(d.keyOf(t, "alice"), "alice", "-s"), "sftp")...)
	cmd.Env, cmd.Stdin = sshEnv(), r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer w.Close()
		w.Write(sftpRequest(1, 3, nil))                                            // SSH_FXP_INIT, version 3
		w.Write(sftpRequest(3, 1, append(sshString("x"), 0, 0, 0, 1, 0, 0, 0, 0))) // SSH_FXP_OPEN x, read
		time.Sleep(2 * time.Second)                                                // the handle comes back
		handle := sshString(strings.Repeat("H", 8000))
		for id := uint32(2); id < 20002; id++ {
			if _, err := w.Write(sftpRequest(4, id, handle)); err != nil { // SSH_FXP_CLOSE
				return
			}
		}
		time.Sleep(2 * time.Second)
	}()
	if err := cmd.Wait(); err != nil {
		t.Logf("ssh -s sftp: %v", err)
	}
	checkDaemonMemory(t, d)
}

// sftpRequest frames an SFTP request of type typ: length, type, id (the
// version for SSH_FXP_INIT), body.
func sftpRequest(typ byte, id uint32, body []byte) []byte {
	p := binary.BigEndian.AppendUint32(nil, uint32(5+len(body)))
	p = append(p, typ)
	p = binary.BigEndian.AppendUint32(p, id)
	return append(p, body...)
}

// sshString is s as an SSH string: its length, then its bytes.
func sshString(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

// TestRedTeamOutsideReachesGuest plays a neighbour on the host's network
// that routes the guest subnet through the host (one `ip route add` on any
// machine of the LAN) and connects straight to a port bob's guest serves but
// never published. With nat: true (the default) the forward chain drops
// what comes towards the bridge unless it is a reply or a published port,
// so it must fail. (With nat: false the chain accepts it by design: the
// guest subnet is routed.)
func TestRedTeamOutsideReachesGuest(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	bob := d.guestAddr(t, "bob")
	ns, hostAddr := newRouterNetns(t)
	subnet := netip.MustParsePrefix(d.cfg.subnet)
	inNetns(t, ns, func() {
		if err := netlink.RouteAdd(&netlink.Route{Dst: prefixNet(subnet), Gw: hostAddr.AsSlice()}); err != nil {
			t.Fatalf("routing %v through the host from the neighbour: %v", subnet, err)
		}
	})
	go d.ssh(t, "bob", "timeout 15 nc -l -p 7777 -e echo unpublished-bob")
	time.Sleep(time.Second)
	var got string
	inNetns(t, ns, func() {
		for range 5 {
			c, err := net.DialTimeout("tcp4", netip.AddrPortFrom(bob, 7777).String(), 2*time.Second)
			if err != nil {
				t.Logf("neighbour dialing bob: %v", err)
				time.Sleep(500 * time.Millisecond)
				continue
			}
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			b, _ := io.ReadAll(c)
			c.Close()
			got = string(b)
			return
		}
	})
	if strings.Contains(got, "unpublished-bob") {
		t.Errorf("a neighbour routing %v through the host reached bob's unpublished port 7777: %q", subnet, got)
	}
}

// newRouterNetns makes a network namespace joined to the host by a veth
// pair in a random 198.51.100.0/30, and returns it with the host's address
// on the pair.
func newRouterNetns(t *testing.T) (netns.NsHandle, netip.Addr) {
	t.Helper()
	base := 4 * rand.IntN(64)
	hostAddr := netip.AddrFrom4([4]byte{198, 51, 100, byte(base + 1)})
	addr := netip.AddrFrom4([4]byte{198, 51, 100, byte(base + 2)})
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	ns := newNamedNetns(t, "vmtred"+suffix)
	hostEnd, peer := "vmr"+suffix, "vmq"+suffix
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostEnd}, PeerName: peer, PeerNamespace: netlink.NsFd(ns)}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("adding veth %s: %v", hostEnd, err)
	}
	t.Cleanup(func() { removeLink(t, hostEnd) })
	setUpLink(t, nil, hostEnd, hostAddr)
	nh, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nh.Close()
	setUpLink(t, nh, peer, addr)
	return ns, hostAddr
}

// inNetns runs fn on a thread moved into ns.
func inNetns(t *testing.T, ns netns.NsHandle, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			panic("returning to the test's netns: " + err.Error())
		}
	}()
	fn()
}

// prefixNet converts p.
func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
