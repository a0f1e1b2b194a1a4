package instance

import "log/slog"

// acquireSocket on Windows: the named-pipe transport is not built yet, so
// every launch is its own primary. (The D-Bus path does not apply.)
func acquireSocket(opts Options, req Request, h Handler, log *slog.Logger) (*Primary, error) {
	log.Debug("single instance: not implemented on Windows yet")
	return &Primary{Via: "none"}, nil
}
