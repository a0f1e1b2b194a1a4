package compare_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/browser"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

// TestCompareViewBenchmark prints how long the compare view takes to be
// ready for two generated transformer graphs of 1,000 and 10,000 nodes
// (the second with an attribute added to every 97th node): from opening
// ?model=A&compare=B to both panes drawn, and the part of it after the
// page had its model list (both layouts, the comparison, the drawing).
// A fresh server (cold layout cache) and browser per size. It is slow,
// so it runs only with MODELPEEK_COMPARE_BENCH=1:
//
//	MODELPEEK_COMPARE_BENCH=1 go test ./e2e/compare -run TestCompareViewBenchmark -v
func TestCompareViewBenchmark(t *testing.T) {
	if os.Getenv("MODELPEEK_COMPARE_BENCH") != "1" {
		t.Skip("set MODELPEEK_COMPARE_BENCH=1 to run the compare view benchmark")
	}
	for _, n := range []int{1000, 10000} {
		a, b := fixture.Transformer(n), fixture.Transformer(n)
		edited := 0
		for i := 0; i < len(b.Graph.Nodes); i += 97 {
			b.Graph.Nodes[i].Attrs = append(b.Graph.Nodes[i].Attrs, model.Attribute{Name: "bench_edit", Type: model.AttrInt, Int: 1})
			edited++
		}
		lib := fixture.NewLibrary()
		ia, ib := lib.Add("a.onnx", a), lib.Add("b.onnx", b)
		base := startServer(t, lib)
		ctx, stop := browser.Start(t)
		tab := browser.NewTab(t, ctx)
		c, cancel := context.WithTimeout(tab, time.Minute)
		begin := time.Now()
		if err := chromedp.Do(c, chromedp.Navigate(base+"/?token=bench&model="+ia+"&compare="+ib)); err != nil {
			t.Fatal(err)
		}
		var st struct {
			State   string  `json:"state"`
			ReadyMs float64 `json:"readyMs"`
			Items   []item  `json:"items"`
			Times   struct {
				FetchMs float64 `json:"fetchMs"`
				DrawMs  float64 `json:"drawMs"`
			} `json:"times"`
		}
		for st.State != "ready" {
			got, err := chromedp.Run(c, chromedp.Evaluate[string](`JSON.stringify(window.modelpeekCompare ? window.modelpeekCompare.state() : {})`))
			if err != nil {
				t.Fatalf("%d nodes: the compare view never got ready: %v", n, err)
			}
			if err := jsonUnmarshal(got, &st); err != nil {
				t.Fatal(err)
			}
			if st.State == "error" {
				t.Fatalf("%d nodes: the compare view failed", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		wall := time.Since(begin)
		cancel()
		stop()
		t.Logf("%6d-node pair: compare view ready %v after navigation, %.0f ms after the model list (layouts and comparison %.0f ms, scenes and drawing %.0f ms); %d changes listed (%d nodes edited)",
			len(a.Graph.Nodes), wall.Round(time.Millisecond), st.ReadyMs, st.Times.FetchMs, st.Times.DrawMs, len(st.Items), edited)
	}
}

// startServer serves lib with the page from the checkout and the
// launch token "bench".
func startServer(t *testing.T, lib *fixture.Library) string {
	t.Helper()
	srv, err := server.New(server.Config{
		Library:   lib,
		Web:       os.DirFS(filepath.Join(testenv.Root(t), "assets", "web")),
		Token:     "bench",
		UploadDir: t.TempDir(),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	return "http://" + addr
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
