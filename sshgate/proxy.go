package sshgate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// forward carries a forwarded connection between the channel ch and nc until
// both sides are done, then logs it to audit with its bytes and duration.
func (c *conn) forward(ch ssh.Channel, reqs <-chan *ssh.Request, nc net.Conn, audit *slog.Logger) {
	c.goSafe("forward requests", func() { ssh.DiscardRequests(reqs) })
	start := time.Now()
	mc := c.meter(ch)
	c.srv.metrics.ForwardOpened()
	err := c.proxy(mc, nc)
	c.srv.metrics.ForwardClosed(mc.in.Load(), mc.out.Load())
	attrs := []any{"outcome", "closed", "bytes_in", mc.in.Load(), "bytes_out", mc.out.Load(),
		"duration", time.Since(start).Round(time.Millisecond)}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	audit.Info("forward", attrs...)
}

// proxy copies between ch and nc both ways, passing each side's EOF on as a
// half close, until both directions are done or the connection ends. An
// error in one direction closes both.
func (c *conn) proxy(ch ssh.Channel, nc net.Conn) error {
	ctx := c.ctx
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			ch.Close()
			nc.Close()
		})
	}
	stop := context.AfterFunc(ctx, closeBoth)
	defer stop()
	defer closeBoth()
	var wg sync.WaitGroup
	var upErr, downErr error
	wg.Go(c.guard("forward to the guest", func() {
		_, upErr = copyBulk(nc, ch)
		if upErr != nil {
			closeBoth()
			return
		}
		closeWrite(nc)
	}))
	wg.Go(c.guard("forward to the client", func() {
		_, downErr = copyBulk(ch, nc)
		if downErr != nil {
			closeBoth()
			return
		}
		ch.CloseWrite()
	}))
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return ignoreClosed(errors.Join(upErr, downErr))
}

// closeWrite half-closes nc, or closes it when it cannot be half closed.
func closeWrite(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	nc.Close()
}

// ignoreClosed drops the errors of copying on a side the other closed.
func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
