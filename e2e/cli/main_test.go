// Package cli drives the built modelpeek binary from the command line, as
// a user and a script do: serve, quit latency, a busy address, uploads, the
// tray fallback, the browser launch, second launches handing files over
// (D-Bus and socket), autostart and integrate. It holds tests only.
package cli

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
