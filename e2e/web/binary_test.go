package web

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// TestBinaryServesViewer runs the built modelpeek binary as `serve` with
// no file and with the sample, opens the printed URL and checks that the
// bundled sample is drawn.
func TestBinaryServesViewer(t *testing.T) {
	sample := filepath.Join(testenv.Root(t), fixture.SamplePath)
	sm, _ := fixture.Sample()
	want, _ := expectedCounts(sm.Graph)
	for _, args := range [][]string{nil, {sample}} {
		t.Run(fmt.Sprintf("files=%d", len(args)), func(t *testing.T) {
			s := proc.Serve(t, nil, args...)
			bctx := newBrowser(t)
			run(t, bctx, 30*time.Second, chromedp.Navigate(s.URL.String()))
			st := waitGraph(t, bctx, 30*time.Second, func(s graphState) bool { return s.State != "" })
			if st.State != "ready" || st.Nodes != want {
				t.Errorf("%+v, want the sample's %d nodes drawn", st, want)
			}
			shot(t, bctx, fmt.Sprintf("binary-serve-%d-files", len(args)))
			// A hang bound: serve exits in about 10 ms after SIGINT.
			s.Stop(t, syscall.SIGINT, 10*time.Second)
		})
	}
}
