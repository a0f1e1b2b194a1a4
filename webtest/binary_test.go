package webtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestBinaryServesViewer runs the built modelpeek binary (path in
// MODELPEEK_BINARY) as `serve` with no file and with the sample, opens the
// printed URL and checks that the bundled sample is drawn:
//
//	go build -o /tmp/modelpeek . && MODELPEEK_BINARY=/tmp/modelpeek go test ./webtest -run TestBinary
func TestBinaryServesViewer(t *testing.T) {
	bin := os.Getenv("MODELPEEK_BINARY")
	if bin == "" {
		t.Skip("set MODELPEEK_BINARY to a built modelpeek to run this test")
	}
	sample := filepath.Join(testenv.Root(t), SamplePath)
	for _, args := range [][]string{{"serve", "--no-browser"}, {"serve", "--no-browser", "--addr", "127.0.0.1:0", sample}} {
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir())
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			cancel()
			cmd.Wait()
			t.Fatalf("%v: no serving line: %v", args, err)
		}
		u, ok := strings.CutPrefix(strings.TrimSpace(line), "modelpeek: serving ")
		if !ok {
			cancel()
			cmd.Wait()
			t.Fatalf("%v: first line %q", args, line)
		}
		bctx := newBrowser(t)
		run(t, bctx, 30*time.Second, chromedp.Navigate(u))
		st := waitGraph(t, bctx, 30*time.Second, func(s graphState) bool { return s.State != "" })
		sm, _ := Sample()
		want, _ := expectedCounts(sm.Graph)
		if st.State != "ready" || st.Nodes != want {
			t.Errorf("%v: %+v, want the sample's %d nodes drawn", args, st, want)
		}
		shot(t, bctx, "binary-"+strings.Join(args[:1], "-")+"-"+filepath.Base(args[len(args)-1]))
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("%v: modelpeek did not exit within 10 s of SIGINT", args)
			cancel()
			<-done
		}
		cancel()
	}
}
