package instance

import (
	"errors"
	"fmt"
	"log/slog"
)

// Primary is the running first instance. Close releases the bus name or
// socket; it is idempotent.
type Primary struct {
	closers []func() error
	// Via says how later launches reach this one: "dbus" or "socket".
	Via string
}

// Close stops listening for later launches.
func (p *Primary) Close() error {
	var errs []error
	for i := len(p.closers) - 1; i >= 0; i-- {
		errs = append(errs, p.closers[i]())
	}
	p.closers = nil
	return errors.Join(errs...)
}

// Acquire makes this process the primary instance, calling h for each later
// launch's request; or, when a primary already runs, forwards req to it and
// returns ErrForwarded.
func Acquire(opts Options, req Request, h Handler, log *slog.Logger) (*Primary, error) {
	if log == nil {
		log = slog.Default()
	}
	p, err := acquireBus(opts, req, h)
	switch {
	case err == nil || errors.Is(err, ErrForwarded):
		return p, err
	case errors.Is(err, errNoBus):
		log.Debug("single instance: no session bus, using a socket", "err", err)
	default:
		log.Warn("single instance: D-Bus failed, using a socket", "err", err)
	}
	p, err = acquireSocket(opts, req, h, log)
	if err != nil && !errors.Is(err, ErrForwarded) {
		return nil, fmt.Errorf("single instance: %w", err)
	}
	return p, err
}
