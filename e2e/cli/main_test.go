// Package cli drives the built modelpeek binary from the command line, as
// a user and a script do: serve, quit latency, a busy address, uploads, the
// tray fallback, the browser launch, second launches handing files over
// (D-Bus and socket), autostart and integrate. It holds tests only.
package cli

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
