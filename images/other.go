//go:build !linux

package images

import (
	"archive/tar"
	"context"
	"errors"
)

// errNotLinux is what the parts of the store that need Linux (openat2,
// mounts, syncfs) answer elsewhere, where only the pure logic is built and
// tested.
var errNotLinux = errors.New("building and checking images needs Linux")

func syncFS(string) error                     { return errNotLinux }
func checkShell(string) error                 { return errNotLinux }
func checkExecutable(string, string) error    { return errNotLinux }
func unmountUnder(string) error               { return errNotLinux }
func (s *Store) removeTree(path string) error { return errNotLinux }

// extractor stands for the Linux extractor, which needs openat2.
type extractor struct{ bytes int64 }

func newExtractor(string) (*extractor, error)                    { return nil, errNotLinux }
func (*extractor) close()                                        {}
func (*extractor) extractAll(context.Context, *tar.Reader) error { return errNotLinux }
func (*extractor) summary() string                               { return "" }

func resolveInRoot(string, string) (string, error) { return "", errNotLinux }
func mountsUnder(string) []string                  { return nil }
