package all

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a decoder leaves a goroutine running
// after Open returned, on any of the thousands of hostile files above.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
