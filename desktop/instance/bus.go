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

func forwardBus(conn *dbus.Conn, req Request) error {
	obj := conn.Object(BusName, ObjectPath)
	var call *dbus.Call
	if req.Quit {
		call = obj.Call(Interface+".Quit", 0)
	} else {
		cwd, _ := os.Getwd()
		done := make(chan *dbus.Call, 1)
		call = obj.Go(Interface+".Open", 0, done, req.Paths, cwd)
		select {
		case call = <-done:
		case <-time.After(5 * time.Second):
			return errors.New("the running modelpeek did not answer within 5 s")
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
