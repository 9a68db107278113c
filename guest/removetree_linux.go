package guest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// removeTree deletes the directory tree at path, which a guest's root may
// have made as deep and as wide as it likes (25,000 nested directories took
// os.RemoveAll, with a descriptor per level, to the daemon's open files
// limit). It runs in a child process, so a tree of any depth costs the daemon
// nothing, and its error names no more than path and the first line rm said.
// A tree that is gone is no error.
// Equivalent to: rm -rf -- PATH
func removeTree(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	out, err := exec.Command("rm", "-rf", "--", path).CombinedOutput()
	if err != nil {
		line, _, _ := bytes.Cut(out, []byte("\n"))
		return fmt.Errorf("removing %s: %v: %s", path, err, guestText(string(line)))
	}
	return nil
}
