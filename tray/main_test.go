package tray_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childEnv set in the environment makes the test binary run the tray with
// a fake controller instead of the tests (systray works once per process,
// so every end-to-end test runs it in a fresh subprocess).
const childEnv = "MODELPEEK_TRAYTEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	goleak.VerifyTestMain(m)
}
