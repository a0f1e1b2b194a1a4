//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package tray

import "context"

// hostWatch does nothing here: Windows and macOS always have a
// notification area.
type hostWatch struct{}

// probeHost reports nil: Windows and macOS always have a notification area.
func probeHost(context.Context) (*hostWatch, error) { return &hostWatch{}, nil }

// follow returns when ctx is done: the host never leaves.
func (*hostWatch) follow(ctx context.Context, _ func()) { <-ctx.Done() }

func (*hostWatch) close() {}
