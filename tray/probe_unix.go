//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// probeTimeout bounds the session bus check.
const probeTimeout = 2 * time.Second

// probeHost checks that a D-Bus session bus answers, without starting one
// (a bus started just for us would have no tray host anyway). systray
// v1.12.2 crashes on exit when it has no bus, so Run must not call it then.
func probeHost(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("no D-Bus session bus: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		err := conn.Auth(nil)
		if err == nil {
			err = conn.Hello()
		}
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = fmt.Errorf("the session bus did not answer in %v", probeTimeout)
	}
	// Closing also unblocks a handshake still in flight.
	closeErr := conn.Close()
	if err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("D-Bus session bus unusable: %w", err)
	}
	return nil
}
