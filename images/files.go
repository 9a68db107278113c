package images

import "os"

// writeFile creates name with data and mode, whatever the umask. The store
// syncs the whole build at its end (see syncFS).
func writeFile(name string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mkdirRoot makes directory path with mode perm whatever the umask, owned by
// root.
func mkdirRoot(path string, perm os.FileMode) error {
	if err := os.Mkdir(path, perm); err != nil {
		return err
	}
	if err := os.Chmod(path, perm); err != nil {
		return err
	}
	return chownRoot(path)
}

// syncDir flushes the entries of directory dir to disk.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// symlinkRoot makes a symlink owned by root.
func symlinkRoot(target, path string) error {
	if err := os.Symlink(target, path); err != nil {
		return err
	}
	return chownRoot(path)
}

// chownRoot makes path (not a symlink's target) owned by 0:0 when we run as
// root, whatever the parent directory's setgid bit; as another user it does
// nothing, for tests.
func chownRoot(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return os.Lchown(path, 0, 0)
}
