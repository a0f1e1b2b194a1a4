//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"context"
	"time"
)

// probeTimeout bounds the session bus check.
const probeTimeout = 2 * time.Second

// probeHost checks that a D-Bus session bus answers, without starting one
// (a bus started just for us would have no tray host anyway). systray
// v1.12.2 crashes on exit when it has no bus, so Run must not call it then.
func probeHost(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, closeConn, err := sessionConn(ctx)
	if err != nil {
		return err
	}
	closeConn()
	return nil
}
