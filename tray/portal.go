package tray

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// The XDG desktop portal's file chooser (org.freedesktop.portal.FileChooser),
// used on Linux when no dialog program is installed (sandboxed and
// minimal desktops ship the portal instead).
const (
	portalName      = "org.freedesktop.portal.Desktop"
	portalPath      = "/org/freedesktop/portal/desktop"
	portalChooser   = "org.freedesktop.portal.FileChooser"
	portalRequest   = "org.freedesktop.portal.Request"
	portalRespOK    = 0
	portalRespAbort = 1
)

// portalChooseFiles asks the desktop portal for files to open. It returns
// ErrNoDialog when there is no session bus or no portal on it, no paths
// when the user cancelled, and stops the request when ctx is done.
func portalChooseFiles(ctx context.Context, title string) ([]string, error) {
	// The connection outlives ctx, to close the dialog when ctx ends.
	conn, closeConn, err := sessionConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (portal: %v)", ErrNoDialog, err)
	}
	defer closeConn()
	if !portalAvailable(ctx, conn) {
		return nil, ErrNoDialog
	}

	// The request object's path is known in advance (sender and token):
	// subscribe to its Response before asking, so it cannot be missed.
	token := randomToken()
	sender := strings.NewReplacer(":", "", ".", "_").Replace(conn.Names()[0])
	reqPath := dbus.ObjectPath(portalPath + "/request/" + sender + "/" + token)
	match := []dbus.MatchOption{
		dbus.WithMatchObjectPath(reqPath),
		dbus.WithMatchInterface(portalRequest),
		dbus.WithMatchMember("Response"),
	}
	if err := conn.AddMatchSignalContext(ctx, match...); err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)

	opts := map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"multiple":     dbus.MakeVariant(true),
		"modal":        dbus.MakeVariant(true),
	}
	var handle dbus.ObjectPath
	err = conn.Object(portalName, portalPath).CallWithContext(ctx,
		portalChooser+".OpenFile", 0, "", title, opts).Store(&handle)
	if err != nil {
		// A portal without a file chooser back end: let the caller try
		// something else.
		return nil, fmt.Errorf("%w (portal: %v)", ErrNoDialog, err)
	}
	if handle != reqPath {
		// Portals older than version 0.9 pick their own request path.
		if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(handle),
			dbus.WithMatchInterface(portalRequest), dbus.WithMatchMember("Response")); err != nil {
			return nil, fmt.Errorf("portal: %w", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			// Close the dialog; bounded, the caller is going away.
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Object(portalName, handle).CallWithContext(cctx, portalRequest+".Close", 0).Err
			cancel()
			return nil, ctx.Err()
		case sig, ok := <-signals:
			if !ok {
				return nil, fmt.Errorf("portal: connection closed")
			}
			if sig.Path != handle && sig.Path != reqPath || sig.Name != portalRequest+".Response" {
				continue
			}
			return portalResult(sig.Body)
		}
	}
}

// portalAvailable reports whether the portal is on the bus or can be
// started by it.
func portalAvailable(ctx context.Context, conn *dbus.Conn) bool {
	bus := conn.BusObject()
	var has bool
	if bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, portalName).Store(&has) == nil && has {
		return true
	}
	var names []string
	if bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names) != nil {
		return false
	}
	for _, n := range names {
		if n == portalName {
			return true
		}
	}
	return false
}

// portalResult decodes a Response(u response, a{sv} results) body.
func portalResult(body []any) ([]string, error) {
	if len(body) != 2 {
		return nil, fmt.Errorf("portal: malformed response")
	}
	code, _ := body[0].(uint32)
	switch code {
	case portalRespOK:
	case portalRespAbort:
		return nil, nil // cancelled by the user
	default:
		return nil, fmt.Errorf("portal: the file chooser failed (response %d)", code)
	}
	results, _ := body[1].(map[string]dbus.Variant)
	uris, _ := results["uris"].Value().([]string)
	var paths []string
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "file" {
			continue // not a local file
		}
		paths = append(paths, p.Path)
	}
	return paths, nil
}

// randomToken returns a request token (letters and digits, as the portal
// requires).
func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "modelpeek" + hex.EncodeToString(b)
}
