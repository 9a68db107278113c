package admin

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// ExecIO is where an exec'ed process's input comes from and its output goes.
type ExecIO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Resize, when not nil, carries new terminal sizes (rows, cols).
	Resize <-chan [2]uint16
}

// Exec runs req in guest id and returns how the process ended.
func (c *Client) Exec(ctx context.Context, id string, req ExecRequest, eio ExecIO) (ExitStatus, error) {
	hdr := http.Header{"Connection": {"Upgrade"}, "Upgrade": {execUpgrade}}
	resp, err := c.send(ctx, http.MethodPost, guestPath(id, "/exec"), req, hdr)
	if err != nil {
		return ExitStatus{}, err
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if resp.StatusCode != http.StatusSwitchingProtocols || !ok {
		resp.Body.Close()
		return ExitStatus{}, fmt.Errorf("vmhostd answered %s to exec, not the exec protocol", resp.Status)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	fw := &frameWriter{w: conn}
	if eio.Stdin != nil {
		go sendInput(fw, eio.Stdin)
	}
	if eio.Resize != nil {
		go sendResizes(ctx, fw, eio.Resize)
	}
	return readOutput(conn, eio)
}

// sendInput sends stdin as frames, and its end as an empty frame.
func sendInput(fw *frameWriter, stdin io.Reader) {
	if _, err := io.Copy(streamWriter{fw, FrameStdin}, stdin); err != nil {
		return
	}
	fw.write(FrameStdin, nil)
}

// sendResizes sends every new terminal size.
func sendResizes(ctx context.Context, fw *frameWriter, sizes <-chan [2]uint16) {
	for {
		select {
		case <-ctx.Done():
			return
		case sz, ok := <-sizes:
			if !ok {
				return
			}
			var p [4]byte
			binary.BigEndian.PutUint16(p[:], sz[0])
			binary.BigEndian.PutUint16(p[2:], sz[1])
			if fw.write(FrameResize, p[:]) != nil {
				return
			}
		}
	}
}

// readOutput writes the output frames out until the exit frame.
func readOutput(conn io.Reader, eio ExecIO) (ExitStatus, error) {
	for {
		typ, payload, err := readFrame(conn)
		if err != nil {
			return ExitStatus{}, fmt.Errorf("the connection to vmhostd ended before the process did: %w", err)
		}
		switch typ {
		case FrameStdout:
			eio.Stdout.Write(payload)
		case FrameStderr:
			eio.Stderr.Write(payload)
		case FrameError:
			return ExitStatus{}, errors.New(string(payload))
		case FrameExit:
			var st ExitStatus
			if err := json.Unmarshal(payload, &st); err != nil {
				return ExitStatus{}, fmt.Errorf("reading the exit status: %w", err)
			}
			return st, nil
		}
	}
}

// Watch shows session n of guest on out: its screen, then its output, until
// the session ends, ctx ends or keys (if not nil) ends. With join, what
// keys gives is typed into the session.
func (c *Client) Watch(ctx context.Context, guest string, n int, join bool, keys io.Reader, out io.Writer) error {
	hdr := http.Header{"Connection": {"Upgrade"}, "Upgrade": {watchUpgrade}}
	path := "/v1/sessions/" + url.PathEscape(guest) + "/" + strconv.Itoa(n) + "/watch"
	if join {
		path += "?join=yes"
	}
	resp, err := c.send(ctx, http.MethodPost, path, nil, hdr)
	if err != nil {
		return err
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if resp.StatusCode != http.StatusSwitchingProtocols || !ok {
		resp.Body.Close()
		return fmt.Errorf("vmhostd answered %s to watch, not the watch protocol", resp.Status)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if keys != nil {
		go func() {
			io.Copy(streamWriter{&frameWriter{w: conn}, FrameStdin}, keys)
			conn.Close()
		}()
	}
	_, err = readOutput(conn, ExecIO{Stdout: out, Stderr: io.Discard})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
