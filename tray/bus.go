package tray

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// sessionConn opens a private, authenticated connection to the D-Bus
// session bus, never starting a bus. The handshake is abandoned (and the
// connection closed) when ctx ends first; once connected, the connection
// lives until the returned close function is called.
func sessionConn(ctx context.Context) (*dbus.Conn, func(), error) {
	life, cancel := context.WithCancel(context.Background())
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(life))
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("no D-Bus session bus: %w", err)
	}
	closeConn := func() {
		cancel()
		_ = conn.Close()
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
		err = fmt.Errorf("the session bus did not answer: %w", ctx.Err())
	}
	if err != nil {
		closeConn() // also unblocks a handshake still in flight
		return nil, nil, fmt.Errorf("D-Bus session bus unusable: %w", err)
	}
	return conn, closeConn, nil
}
