package main

import (
	"log/slog"

	"github.com/go-logr/logr"
)

// logrFor is log as the logr.Logger controller-runtime writes to.
func logrFor(log *slog.Logger) logr.Logger {
	return logr.FromSlogHandler(log.Handler())
}
