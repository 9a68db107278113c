package labs

import "syscall"

// syscallNoFollow is O_NOFOLLOW: a collected file's name that is a
// symlink is refused, not followed.
const syscallNoFollow = syscall.O_NOFOLLOW
