package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
)

// auditFile is the file of audit_log: the audit lines as JSON, one a line.
// Reopen opens the path again, for logrotate (which renames the file and
// sends SIGHUP).
type auditFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// openAuditFile opens path for appending, made 0600 when new.
func openAuditFile(path string) (*auditFile, error) {
	a := &auditFile{path: path}
	if err := a.Reopen(); err != nil {
		return nil, err
	}
	return a, nil
}

// Reopen opens the file's path again and writes there from now on; on an
// error the file in use is kept. A nil auditFile does nothing.
func (a *auditFile) Reopen() error {
	if a == nil {
		return nil
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening audit_log %s: %w", a.path, err)
	}
	a.mu.Lock()
	old := a.f
	a.f = f
	a.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// Write implements io.Writer: one whole line per call, as slog writes.
func (a *auditFile) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Write(p)
}

// Close closes the file.
func (a *auditFile) Close() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Close()
}

// auditTee is a log handler that passes every record on to the daemon's
// log, and the audit records (those with audit=true, in the record or in
// the logger's attributes) to the audit file too, as JSON.
type auditTee struct {
	base  slog.Handler
	file  slog.Handler
	audit bool // the logger carries audit=true
}

// newAuditTee returns base with the audit records copied to f.
func newAuditTee(base slog.Handler, f *auditFile) *auditTee {
	return &auditTee{base: base, file: slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})}
}

// Enabled implements slog.Handler.
func (h *auditTee) Enabled(ctx context.Context, l slog.Level) bool {
	return h.base.Enabled(ctx, l) || h.file.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *auditTee) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.base.Enabled(ctx, r.Level) {
		err = h.base.Handle(ctx, r)
	}
	if (h.audit || recordIsAudit(r)) && h.file.Enabled(ctx, r.Level) {
		if ferr := h.file.Handle(ctx, r); err == nil {
			err = ferr
		}
	}
	return err
}

// WithAttrs implements slog.Handler.
func (h *auditTee) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &auditTee{base: h.base.WithAttrs(attrs), file: h.file.WithAttrs(attrs),
		audit: h.audit || slices.ContainsFunc(attrs, isAuditAttr)}
}

// WithGroup implements slog.Handler.
func (h *auditTee) WithGroup(name string) slog.Handler {
	return &auditTee{base: h.base.WithGroup(name), file: h.file.WithGroup(name), audit: h.audit}
}

// recordIsAudit reports whether r carries audit=true.
func recordIsAudit(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = isAuditAttr(a)
		return !found
	})
	return found
}

// isAuditAttr reports whether a is audit=true.
func isAuditAttr(a slog.Attr) bool {
	v := a.Value.Resolve()
	return a.Key == "audit" && v.Kind() == slog.KindBool && v.Bool()
}

// daemonLogger returns the daemon's log, on stderr at level, with the audit
// lines copied to the file auditLog when it is set, and that file (nil
// without one).
func daemonLogger(auditLog string, level slog.Level) (*slog.Logger, *auditFile, error) {
	base := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	if auditLog == "" {
		return slog.New(base), nil, nil
	}
	f, err := openAuditFile(auditLog)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(newAuditTee(base, f)), f, nil
}
