package guest

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SealedExe is a sealed in-memory copy of the running binary, made once at
// daemon start. Every guest's init is executed from it, so /proc/1/exe in a
// guest cannot reach the host's binary, and the pages of the binary are shared
// by every init.
type SealedExe struct {
	file *os.File
}

// exeFD is where the sealed copy is kept: high enough that exec.Cmd's
// ExtraFiles never land on it before the exec.
const exeFD = 200

// NewSealedExe copies /proc/self/exe into a sealed memfd. The binary must be
// static: guests start it again inside their own root (for SFTP), where the
// host's dynamic loader is not.
func NewSealedExe() (*SealedExe, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("opening own binary: %w", err)
	}
	defer src.Close()
	if err := checkStatic(src); err != nil {
		return nil, err
	}
	fd, err := unix.MemfdCreate("vmhostd", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("making a memfd for the binary: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "memfd:vmhostd")
	defer mem.Close()
	if _, err := io.Copy(mem, src); err != nil {
		return nil, fmt.Errorf("copying own binary: %w", err)
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		return nil, fmt.Errorf("sealing the binary copy: %w", err)
	}
	high, err := unix.FcntlInt(mem.Fd(), unix.F_DUPFD_CLOEXEC, exeFD)
	if err != nil {
		return nil, fmt.Errorf("moving the binary copy: %w", err)
	}
	return &SealedExe{file: os.NewFile(uintptr(high), "memfd:vmhostd")}, nil
}

// checkStatic refuses a dynamically linked binary.
func checkStatic(f *os.File) error {
	bin, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("reading own binary: %w", err)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("vmhostd is dynamically linked; build it with CGO_ENABLED=0 (make build and make test do)")
		}
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

// Path is the path a child of this process executes the copy by.
func (e *SealedExe) Path() string {
	return fmt.Sprintf("/proc/self/fd/%d", e.file.Fd())
}

// Close releases the copy.
func (e *SealedExe) Close() error { return e.file.Close() }
