package instance

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

var errNoBus = errors.New("no D-Bus session bus")

type busObject struct{ h Handler }

// Open is the exported D-Bus method: Open(as paths, s cwd).
func (o busObject) Open(paths []string, cwd string) *dbus.Error {
	if len(paths) > 4096 {
		return dbus.MakeFailedError(errors.New("too many paths"))
	}
	o.h(Request{Paths: Absolute(cwd, paths)})
	return nil
}

// OptNoBrowser is the OpenWith option (a boolean) that asks the primary
// not to show the viewer in a browser.
const OptNoBrowser = "no-browser"

// OptCompare is the OpenWith option (a boolean) that asks the primary to
// show the two paths in the compare view.
const OptCompare = "compare"

// OpenWith is the exported D-Bus method OpenWith(as paths, s cwd,
// a{sv} options): Open with options (OptNoBrowser, OptCompare). Unknown
// options are ignored, so later launches may send more.
func (o busObject) OpenWith(paths []string, cwd string, options map[string]dbus.Variant) *dbus.Error {
	if len(paths) > 4096 {
		return dbus.MakeFailedError(errors.New("too many paths"))
	}
	req := Request{Paths: Absolute(cwd, paths)}
	if v, ok := options[OptNoBrowser]; ok {
		req.NoBrowser, _ = v.Value().(bool)
	}
	if v, ok := options[OptCompare]; ok {
		req.Compare, _ = v.Value().(bool)
	}
	o.h(req)
	return nil
}

// Quit is the exported D-Bus method Quit().
func (o busObject) Quit() *dbus.Error {
	o.h(Request{Quit: true})
	return nil
}

func busAddress(opts Options) string {
	if opts.BusAddress != "" {
		return opts.BusAddress
	}
	return os.Getenv("DBUS_SESSION_BUS_ADDRESS")
}

func acquireBus(opts Options, req Request, h Handler) (*Primary, error) {
	addr := busAddress(opts)
	if addr == "" || addr == "none" {
		return nil, errNoBus
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoBus, err)
	}
	if err := conn.Export(busObject{h}, ObjectPath, Interface); err != nil {
		conn.Close()
		return nil, fmt.Errorf("export %s: %w", ObjectPath, err)
	}
	reply, err := conn.RequestName(BusName, dbus.NameFlagDoNotQueue)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("request bus name: %w", err)
	}
	if reply == dbus.RequestNameReplyPrimaryOwner {
		return &Primary{Via: "dbus", closers: []func() error{conn.Close}}, nil
	}
	defer conn.Close()
	return nil, forwardBus(conn, req)
}

// forwardTimeout bounds how long a later launch waits for the primary.
const forwardTimeout = 5 * time.Second

// callWithin calls method of the primary's interface and waits for the
// answer at most forwardTimeout.
func callWithin(obj dbus.BusObject, method string, args ...any) (*dbus.Call, error) {
	done := make(chan *dbus.Call, 1)
	obj.Go(Interface+"."+method, 0, done, args...)
	select {
	case call := <-done:
		return call, nil
	case <-time.After(forwardTimeout):
		return nil, errors.New("the running modelpeek did not answer within 5 s")
	}
}

// isUnknownMethod reports whether err is the bus's answer for a method the
// object does not have.
func isUnknownMethod(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == "org.freedesktop.DBus.Error.UnknownMethod"
	}
	var pde *dbus.Error
	return errors.As(err, &pde) && pde.Name == "org.freedesktop.DBus.Error.UnknownMethod"
}

func forwardBus(conn *dbus.Conn, req Request) error {
	obj := conn.Object(BusName, ObjectPath)
	var call *dbus.Call
	if req.Quit {
		call = obj.Call(Interface+".Quit", 0)
	} else {
		cwd, _ := os.Getwd()
		var err error
		if req.NoBrowser || req.Compare {
			// OpenWith carries the options; a primary from before it
			// answers UnknownMethod and gets the plain Open.
			opts := map[string]dbus.Variant{}
			if req.NoBrowser {
				opts[OptNoBrowser] = dbus.MakeVariant(true)
			}
			if req.Compare {
				opts[OptCompare] = dbus.MakeVariant(true)
			}
			call, err = callWithin(obj, "OpenWith", req.Paths, cwd, opts)
			if err == nil && isUnknownMethod(call.Err) {
				call = nil
			}
		}
		if err == nil && call == nil {
			call, err = callWithin(obj, "Open", req.Paths, cwd)
		}
		if err != nil {
			return err
		}
	}
	if call.Err != nil {
		if strings.Contains(call.Err.Error(), "ServiceUnknown") {
			return fmt.Errorf("%w: running instance vanished", errNoBus)
		}
		return fmt.Errorf("forward to the running modelpeek: %w", call.Err)
	}
	return ErrForwarded
}
