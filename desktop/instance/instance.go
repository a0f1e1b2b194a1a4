// Package instance keeps one modelpeek per user session: the first launch
// becomes the primary and listens; a later launch hands its file arguments
// to the primary and exits.
//
// On Linux and other Unix desktops with a D-Bus session bus, the primary
// owns a well-known bus name and exports Open(paths, cwd). Without a bus (and
// on macOS) it listens on a unix socket in a 0700 per-user directory,
// guarded by an flock'd lock file so a stale socket from a crashed instance
// is detected and replaced; the peer's uid is checked where the OS tells it.
package instance

import (
	"errors"
	"path/filepath"
)

// Names on the session bus.
const (
	BusName    = "io.github.modelpeek.modelpeek"
	ObjectPath = "/io/github/modelpeek/modelpeek"
	Interface  = "io.github.modelpeek.modelpeek.Instance"
)

// Request is what a second launch sends to the primary.
type Request struct {
	// Paths are absolute file paths to open (may be empty: "show yourself").
	Paths []string `json:"paths"`
	// Quit asks the primary to quit.
	Quit bool `json:"quit,omitempty"`
	// NoBrowser (the later launch's --no-browser) asks the primary to
	// open the files without showing the viewer in a browser. Primaries
	// from before this field ignore it and show the viewer.
	NoBrowser bool `json:"no_browser,omitempty"`
	// Compare (the later launch's --compare) asks the primary to show
	// the two Paths in the viewer's compare view. Primaries from before
	// this field open both and show the first.
	Compare bool `json:"compare,omitempty"`
}

// Handler is called in the primary for every request from a later launch.
// It must not block for long.
type Handler func(Request)

// ErrForwarded is returned by Acquire when another instance is primary and
// the request was handed to it; the caller should exit 0.
var ErrForwarded = errors.New("handed over to the running modelpeek")

// Options configure Acquire.
type Options struct {
	// BusAddress overrides $DBUS_SESSION_BUS_ADDRESS; "none" disables D-Bus.
	BusAddress string
	// Dir overrides the socket directory (default: $XDG_RUNTIME_DIR/modelpeek,
	// else a 0700 per-user directory in the temp dir).
	Dir string
}

// Absolute resolves paths against cwd, as the primary's cwd differs.
func Absolute(cwd string, paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		out = append(out, filepath.Clean(p))
	}
	return out
}

func allAbsolute(paths []string) bool {
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			return false
		}
	}
	return true
}
