package reload

import (
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// quitBound bounds the exit after SIGINT: about 10 ms is typical; the
// bound is 10x the 500 ms shutdown grace, a hang detector only.
const quitBound = 5 * time.Second

// serve runs `modelpeek serve` on file with info logs and returns the URL
// it prints. The process is interrupted at the end of the test, which fails
// if it does not exit promptly and cleanly.
func serve(t *testing.T, file string) string {
	t.Helper()
	s := proc.Serve(t, []string{"MODELPEEK_LOG=info"}, file)
	t.Cleanup(func() { s.Stop(t, syscall.SIGINT, quitBound) })
	return s.URL.String()
}
