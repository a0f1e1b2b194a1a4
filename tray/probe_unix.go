//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// probeTimeout bounds the session bus handshake.
const probeTimeout = 2 * time.Second

// watcherTimeout bounds the question whether a tray host is there: a
// live bus answers NameHasOwner in about a millisecond.
const watcherTimeout = time.Second

// watcherName is the bus name of the StatusNotifierWatcher, which tray
// hosts (KDE Plasma, the GNOME AppIndicator extension, waybar, ...) own.
const watcherName = "org.kde.StatusNotifierWatcher"

// errNoWatcher says why there is no tray on a working session bus.
var errNoWatcher = errors.New("no tray host (" + watcherName + ") on the D-Bus session bus")

// hostWatch follows the tray host on the session bus while the tray runs.
type hostWatch struct {
	conn      *dbus.Conn
	closeConn func()
	signals   chan *dbus.Signal
}

// probeHost checks that a D-Bus session bus answers, without starting one
// (a bus started just for us would have no tray host anyway), and that a
// tray host owns the StatusNotifierWatcher name: without one, systray
// would only log "failed to register" and show nothing. systray v1.12.2
// also crashes on exit when it has no bus, so Run must not call it then.
// The returned hostWatch reports the host leaving (see follow); the
// caller closes it.
func probeHost(ctx context.Context) (*hostWatch, error) {
	cctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, closeConn, err := sessionConn(cctx)
	if err != nil {
		return nil, err
	}
	hw := &hostWatch{conn: conn, closeConn: closeConn, signals: make(chan *dbus.Signal, 8)}
	// Subscribe before asking, so that a host leaving in between is seen.
	if err := conn.AddMatchSignal(
		dbus.WithMatchObjectPath("/org/freedesktop/DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName),
	); err != nil {
		closeConn()
		return nil, fmt.Errorf("watching the tray host: %w", err)
	}
	conn.Signal(hw.signals)
	wctx, wcancel := context.WithTimeout(ctx, watcherTimeout)
	defer wcancel()
	var has bool
	err = conn.BusObject().CallWithContext(wctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
	switch {
	case err != nil:
		err = fmt.Errorf("asking the session bus for a tray host: %w", err)
	case !has:
		err = errNoWatcher
	}
	if err != nil {
		closeConn()
		return nil, err
	}
	return hw, nil
}

// follow calls lost, on this goroutine, each time the tray host leaves
// the bus, until ctx is done or the connection closes. (systray registers
// its item again by itself when a host comes back.)
func (hw *hostWatch) follow(ctx context.Context, lost func()) {
	for {
		select {
		case sig, ok := <-hw.signals:
			if !ok {
				return
			}
			if hostLeft(sig) {
				lost()
			}
		case <-ctx.Done():
			return
		}
	}
}

// hostLeft reports whether sig says the watcher name lost its owner.
func hostLeft(sig *dbus.Signal) bool {
	if sig == nil || sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
		return false
	}
	name, _ := sig.Body[0].(string)
	newOwner, ok := sig.Body[2].(string)
	return name == watcherName && ok && newOwner == ""
}

// close ends the connection, which also ends follow.
func (hw *hostWatch) close() { hw.closeConn() }
