package syscallfilter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// i386Probe is one call made through the i386 ABI by a tiny 32-bit program.
type i386Probe struct {
	name string
	nr   uint32
	args [3]uint32
}

// i386Probes are calls on x86_64 hosts' i386 ABI (int 0x80), where the
// filter must decide as on the native one.
var i386Probes = []i386Probe{
	{"keyctl", 288, [3]uint32{unix.KEYCTL_GET_KEYRING_ID, 0xffffffff, 0}},
	{"bpf", 357, [3]uint32{0xffff, 0, 0}},
	{"userfaultfd", 374, [3]uint32{0, 0, 0}},
	{"personality_read_implies_exec", 136, [3]uint32{0x400000, 0, 0}},
	{"personality_query", 136, [3]uint32{0xffffffff, 0, 0}},
	{"getpid", 20, [3]uint32{0, 0, 0}},
}

// runI386Probes reports each i386 probe's result under prefix: ok, the
// errno's name, or why it could not run.
func runI386Probes(prefix string) {
	if runtime.GOARCH != "amd64" {
		return
	}
	dir, err := os.MkdirTemp("", "syscallfilter-i386-")
	if err != nil {
		report(prefix+".i386", err.Error())
		return
	}
	defer os.RemoveAll(dir)
	for _, p := range i386Probes {
		report(prefix+".i386."+p.name, runI386(filepath.Join(dir, p.name), p))
	}
}

// runI386 writes p as a 32-bit program at path, runs it and returns how the
// call went: the program exits with the call's errno, or 0.
func runI386(path string, p i386Probe) string {
	if err := os.WriteFile(path, elf32(i386Call(p)), 0o700); err != nil {
		return err.Error()
	}
	err := exec.Command(path).Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, syscall.ENOEXEC):
		return "no ia32 emulation"
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return unix.ErrnoName(syscall.Errno(exit.ExitCode()))
	}
	return err.Error()
}

// i386Call returns i386 code that makes p's call and exits with its errno
// (0 when it succeeded).
func i386Call(p i386Probe) []byte {
	var code bytes.Buffer
	for i, op := range []byte{0xb8, 0xbb, 0xb9, 0xba} { // mov eax/ebx/ecx/edx, imm32
		v := p.nr
		if i > 0 {
			v = p.args[i-1]
		}
		code.WriteByte(op)
		_ = binary.Write(&code, binary.LittleEndian, v)
	}
	code.Write([]byte{
		0xcd, 0x80, // int 0x80
		0x31, 0xdb, // xor ebx, ebx
		0x85, 0xc0, // test eax, eax
		0x79, 0x04, // jns exit
		0xf7, 0xd8, // neg eax
		0x89, 0xc3, // mov ebx, eax
		0xb8, 0x01, 0x00, 0x00, 0x00, // exit: mov eax, 1 (exit)
		0xcd, 0x80, // int 0x80
	})
	return code.Bytes()
}

// elf32 wraps i386 code in the smallest static ELF executable: one header,
// one loadable segment.
func elf32(code []byte) []byte {
	const base, headers = 0x08048000, 52 + 32
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	le := func(v ...any) {
		for _, x := range v {
			_ = binary.Write(&b, binary.LittleEndian, x)
		}
	}
	size := uint32(headers + len(code))
	// e_type EXEC, e_machine 386, e_version, e_entry, e_phoff, e_shoff, e_flags
	le(uint16(2), uint16(3), uint32(1), uint32(base+headers), uint32(52), uint32(0), uint32(0))
	// e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
	le(uint16(52), uint16(32), uint16(1), uint16(0), uint16(0), uint16(0))
	// PT_LOAD of the whole file, read and execute
	le(uint32(1), uint32(0), uint32(base), uint32(base), size, size, uint32(5), uint32(0x1000))
	b.Write(code)
	return b.Bytes()
}
