// Package tray puts modelpeek in the system tray (fyne.io/systray), bound to
// the app's Controller only.
package tray

import (
	"context"
	"errors"

	"github.com/modelpeek/modelpeek/app"
)

// ErrNoTray is returned by Run when no tray host can be used (no D-Bus
// session bus on Linux); the caller then runs headless.
var ErrNoTray = errors.New("no system tray available")

// Options configure the tray.
type Options struct{}

// Run shows the tray icon and menu and blocks (on the main goroutine) until
// ctx is done or the user picks Quit (which calls ctrl.Quit). It returns
// ErrNoTray without blocking when there is no tray host.
//
// PLACEHOLDER until the tray issue lands.
func Run(ctx context.Context, ctrl app.Controller, opts Options) error {
	return ErrNoTray
}
