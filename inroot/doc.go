// Package inroot opens files of a tree that the opener does not trust, such
// as a guest's root or its upper layer, without being led out of it: every
// path is resolved inside the tree with openat2 (RESOLVE_IN_ROOT, no magic
// links, and no symlinks at all where none is legitimate), files are opened
// only if regular and without blocking, and read with a bound.
//
// Both the daemon (reading a guest's upper layer) and a guest's init
// (setting up the guest's root) use it.
package inroot
