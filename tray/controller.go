package tray

import (
	"context"

	"github.com/modelpeek/modelpeek/server"
)

// Controller is what the tray calls to drive the app; *app.App implements
// it. Every method is safe for concurrent use and
// returns promptly (long work runs in the App's own goroutines).
type Controller interface {
	// StartViewer starts the viewer server if it is stopped.
	StartViewer() error
	// StopViewer stops the viewer server and releases its port; the app
	// keeps running and StartViewer may follow.
	StopViewer() error
	// Open opens model files (absolute or relative paths) into the
	// library, records them in Recent, and returns their model IDs. A file
	// that fails to parse is still added, with its error.
	Open(paths ...string) ([]string, error)
	// Show opens the viewer in the browser at the given model ("" for the
	// viewer's start page), starting the viewer first if needed.
	Show(id string) error
	// ComparePrevious opens the viewer's compare view of model id's
	// previous version with its current one (models whose ModelInfo has
	// Previous > 0).
	ComparePrevious(id string) error
	// SetWatching turns the global "watch for changes" switch on or off.
	SetWatching(on bool)
	// SetAutostart turns start-at-login on or off.
	SetAutostart(on bool) error
	// ClearRecent empties the recent-files list.
	ClearRecent()
	// Quit cancels the root context: everything stops and the process
	// exits. It never blocks.
	Quit()
	// State returns a snapshot of the app's state.
	State() State
	// Subscribe returns a channel that receives the latest State after
	// every change (coalesced: a slow reader sees only the newest). It is
	// closed when ctx is done or the app quits.
	Subscribe(ctx context.Context) <-chan State
}

// State is a snapshot of what the tray and the UI show.
type State struct {
	// Running reports whether the viewer server is serving.
	Running bool
	// URL is the viewer's address (with the launch token when there is one),
	// "" when stopped.
	URL string
	// Err is the last viewer error in words ("port 8080 is in use"), or "".
	Err string
	// Models are the open models, in opening order, as the viewer's API
	// describes them.
	Models []server.ModelInfo
	// Recent lists recently opened paths, newest first.
	Recent []string
	// Watching is the global "watch for changes" switch.
	Watching bool
	// Autostart reports whether start-at-login is enabled.
	Autostart bool
	// Version is the app's version string.
	Version string
}
