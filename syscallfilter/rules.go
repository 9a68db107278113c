package syscallfilter

// Values from the Linux UAPI headers, kept here so this file builds on every
// OS; install_linux_test.go checks them against golang.org/x/sys/unix.
const (
	errnoEPERM  = 1  // EPERM
	errnoENOSYS = 38 // ENOSYS

	afALG            = 38 // AF_ALG
	afVSOCK          = 40 // AF_VSOCK
	mntForce         = 1  // MNT_FORCE, umount2's flag
	uffdUserModeOnly = 1  // UFFD_USER_MODE_ONLY, userfaultfd's flag
)

// Personas that personality(2) may set: Linux with any of PER_LINUX32,
// UNAME26 and ADDR_NO_RANDOMIZE (gdb, setarch -R), and the query 0xffffffff.
// Docker allows the same minus ADDR_NO_RANDOMIZE; the kernel clears that bit
// on a setuid exec, so it weakens no one but the caller.
var allowedPersonas = []uint32{
	0x0, 0x8, 0x20000, 0x20008, 0x40000, 0x40008, 0x60000, 0x60008, 0xffffffff,
}

// rule is one step of the filter: a call it names returns errno (0: runs)
// when test holds, or always when test is nil. The first rule that matches
// decides; a call no rule matches runs.
type rule struct {
	names []string
	test  *argTest
	errno uint32
}

// argTest looks at the low 32 bits of one argument: every argument tested
// here is an int or unsigned int in the kernel, which ignores the high half,
// so a caller cannot slip past a test by setting it.
type argTest struct {
	arg    uint32   // argument index, 0 to 5
	oneOf  []uint32 // holds when the argument is one of these
	anyBit uint32   // or, when oneOf is empty, shares a bit with this mask
}

// rules is the guest filter, in order; doc.go says why each is there.
var rules = []rule{
	{names: []string{"personality"}, test: &argTest{arg: 0, oneOf: allowedPersonas}},
	{names: []string{"userfaultfd"}, test: &argTest{arg: 0, anyBit: uffdUserModeOnly}},
	{names: []string{"umount2"}, test: &argTest{arg: 1, anyBit: mntForce}, errno: errnoEPERM},
	{names: []string{"socket"}, test: &argTest{arg: 0, oneOf: []uint32{afALG, afVSOCK}}, errno: errnoEPERM},
	{names: deniedCalls, errno: errnoEPERM},
}

// deniedCalls always fail with EPERM. A name missing from an architecture's
// table (vm86 outside i386, stime outside i386) is skipped there.
var deniedCalls = []string{
	// Kernel keyrings are not namespaced.
	"keyctl", "add_key", "request_key",
	// Kernel code and kernel programs.
	"kexec_load", "kexec_file_load",
	"create_module", "init_module", "finit_module", "delete_module",
	"bpf", "perf_event_open", "lookup_dcookie",
	// Kernel-fault stalls (allowed above with UFFD_USER_MODE_ONLY), io_uring.
	"userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	// File handles reach past a mount's root.
	"open_by_handle_at",
	// Host-wide state: accounting, swap, the kernel log, quotas, the clock.
	"acct", "swapon", "swapoff", "syslog", "quotactl", "quotactl_fd",
	"settimeofday", "stime", "clock_settime", "clock_settime64",
	// Hardware access.
	"iopl", "ioperm", "vm86", "vm86old",
	"pciconfig_iobase", "pciconfig_read", "pciconfig_write",
	// Obsolete interfaces.
	"uselib", "ustat", "sysfs", "_sysctl", "nfsservctl",
	// Other personas (the allowed ones matched above).
	"personality",
}
