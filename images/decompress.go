package images

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// compression is one compressed format a tarball can come in, told by the
// magic bytes it starts with.
type compression struct {
	name  string
	magic string
	open  func(ctx context.Context, r io.Reader) (io.ReadCloser, error)
}

// compressions are the formats decompress knows besides plain tar.
var compressions = []compression{
	{"gzip", "\x1f\x8b", openGzip},
	{"xz", "\xfd7zXZ\x00", openXz},
	{"zstd", "\x28\xb5\x2f\xfd", openZstd},
	{"bzip2", "BZh", openBzip2},
}

// decompress returns the uncompressed content of r and the name of the
// format it was in: "gzip", "xz", "zstd", "bzip2" or "uncompressed". It
// looks at the magic bytes, never at a file name.
func decompress(ctx context.Context, r io.Reader) (io.ReadCloser, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(8) // a short or empty file is left to the tar reader
	for _, c := range compressions {
		if bytes.HasPrefix(head, []byte(c.magic)) {
			rc, err := c.open(ctx, br)
			if err != nil {
				return nil, "", fmt.Errorf("opening it as %s: %w", c.name, err)
			}
			return rc, c.name, nil
		}
	}
	return io.NopCloser(br), "uncompressed", nil
}

func openGzip(_ context.Context, r io.Reader) (io.ReadCloser, error) {
	return gzip.NewReader(r)
}

func openBzip2(_ context.Context, r io.Reader) (io.ReadCloser, error) {
	return io.NopCloser(bzip2.NewReader(r)), nil
}

func openZstd(_ context.Context, r io.Reader) (io.ReadCloser, error) {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	return d.IOReadCloser(), nil
}

// openXz decompresses with the host's xz, through a pipe. Equivalent to:
// `xz -dc`.
func openXz(ctx context.Context, r io.Reader) (io.ReadCloser, error) {
	path, err := exec.LookPath("xz")
	if err != nil {
		return nil, fmt.Errorf("the xz program is missing: install xz-utils (apt-get install xz-utils)")
	}
	c := &cmdReader{cmd: exec.CommandContext(ctx, path, "-dc")}
	c.cmd.Stdin = r
	c.cmd.Stderr = &c.stderr
	if c.out, err = c.cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	return c, nil
}

// cmdReader reads the output of a running filter program. Its end of file
// comes with the program's error, if it failed.
type cmdReader struct {
	cmd    *exec.Cmd
	out    io.ReadCloser
	stderr bytes.Buffer
	done   bool
	err    error
}

// Read reads the program's output. At its end, it waits for the program and
// returns its failure instead of io.EOF.
func (c *cmdReader) Read(p []byte) (int, error) {
	n, err := c.out.Read(p)
	if err == io.EOF {
		if werr := c.wait(); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// Close stops the program if it still runs.
func (c *cmdReader) Close() error {
	if !c.done {
		c.cmd.Process.Kill()
		c.wait()
	}
	return nil
}

func (c *cmdReader) wait() error {
	if c.done {
		return c.err
	}
	c.done = true
	if err := c.cmd.Wait(); err != nil {
		msg := strings.TrimSpace(c.stderr.String())
		c.err = fmt.Errorf("%s: %v: %s", c.cmd.Args[0], err, msg)
	}
	return c.err
}
