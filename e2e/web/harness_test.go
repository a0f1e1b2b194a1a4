package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/browser"
	"github.com/modelpeek/modelpeek/server"
)

// env is one running server with its library.
type env struct {
	lib *fixture.Library
	srv *server.Server
	url string // base URL with the launch token
}

// startServer starts the real viewer server over lib, serving assets/web
// from the source tree (so the test sees the files being edited).
func startServer(t testing.TB, lib *fixture.Library) *env {
	t.Helper()
	return startServerOver(t, lib, lib)
}

// startServerOver starts the server over serve, a library wrapping lib.
func startServerOver(t testing.TB, lib *fixture.Library, serve server.Library) *env {
	t.Helper()
	web := os.DirFS(filepath.Join(testenv.Root(t), "assets", "web"))
	if d := os.Getenv("MODELPEEK_WEB_DIR"); d != "" {
		// Another copy of the page, to compare versions in benchmarks.
		web = os.DirFS(d)
	}
	srv, err := server.New(server.Config{
		Library:   serve,
		Web:       web,
		Token:     "webtest-token",
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
	return &env{lib: lib, srv: srv, url: "http://" + addr}
}

// pageURL is the viewer URL with the launch token and extra query.
func (e *env) pageURL(query string) string {
	u := e.url + "/?token=webtest-token"
	if query != "" {
		u += "&" + query
	}
	return u
}

// shared is the one Chromium the functional tests open tabs in, started
// by TestMain (nil when Chromium is missing); set before any test runs and
// never changed while they run.
var shared *browser.Shared

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	shared = browser.StartShared()
	code := m.Run()
	// Close the browser before looking for leaked goroutines.
	shared.Close()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreCurrent()); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

// newBrowser returns a new tab of the shared browser, closed at test end.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	return shared.NewTab(t)
}

// newFreshBrowser starts a fresh headless Chromium with its own profile
// (for measurements that must not share a warm browser). The returned func
// closes it (also done at test end).
func newFreshBrowser(t testing.TB) (context.Context, func()) {
	t.Helper()
	ctx, stop := browser.Start(t)
	return browser.CollectConsole(t, ctx), stop
}

// run runs actions with a deadline, failing the test on error.
func run(t testing.TB, ctx context.Context, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// evalErr evaluates JS and decodes its JSON result into out (nil: ignore).
func evalErr(ctx context.Context, d time.Duration, js string, out any) error {
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	raw, err := chromedp.Run(c, chromedp.Evaluate[[]byte](js))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %s: %w", raw, err)
	}
	return nil
}

// eval evaluates JS and stores the result in out, failing the test on error.
func eval(t testing.TB, ctx context.Context, js string, out any) {
	t.Helper()
	if err := evalErr(ctx, 20*time.Second, js, out); err != nil {
		t.Fatalf("evaluate %.80s: %v", js, err)
	}
}

// text returns the innerText of the first element matching a CSS selector.
func text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	eval(t, ctx, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.innerText : ''; })()`, &s)
	return s
}

type graphState struct {
	State string `json:"state"`
	Nodes int    `json:"nodes"`
	Edges int    `json:"edges"`
	Error string `json:"error"`
	// Model is the id of the model the state is about (#graph data-model).
	Model string `json:"model"`
}

const readGraphState = `(() => { const g = document.getElementById('graph'); const e = document.getElementById('error');
  return {state: g.dataset.state, nodes: +g.dataset.nodes, edges: +g.dataset.edges, error: e.hidden ? '' : e.textContent, model: g.dataset.model || ''}; })()`

// waitGraph waits until #graph leaves "loading" and the predicate holds,
// returning the final state.
func waitGraph(t testing.TB, ctx context.Context, d time.Duration, ok func(graphState) bool) graphState {
	t.Helper()
	deadline := time.Now().Add(d)
	var st graphState
	for {
		err := evalErr(ctx, 10*time.Second, readGraphState, &st)
		if err == nil && st.State != "loading" && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("graph did not reach the expected state in %v: last %+v (err %v)", d, st, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func isReady(st graphState) bool { return st.State == "ready" }

// navigate opens the viewer and waits for the graph to be ready.
func navigate(t testing.TB, ctx context.Context, e *env, query string) graphState {
	t.Helper()
	run(t, ctx, 60*time.Second, chromedp.Navigate(e.pageURL(query)))
	st := waitGraph(t, ctx, 60*time.Second, func(s graphState) bool { return s.State != "" })
	if st.State != "ready" {
		t.Fatalf("graph state %q, error %q", st.State, st.Error)
	}
	return st
}

// setDownloads makes downloads land in dir and emit events.
func setDownloads(t testing.TB, ctx context.Context, dir string) {
	t.Helper()
	on := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: &on,
	}); err != nil {
		t.Fatalf("set download behaviour: %v", err)
	}
}

// waitFile waits for a complete file named name in dir.
func waitFile(t testing.TB, dir, name string, d time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(d)
	p := filepath.Join(dir, name)
	for {
		b, err := os.ReadFile(p)
		if err == nil && len(b) > 0 {
			// A download is renamed into place when complete; give a
			// moment for a last write.
			time.Sleep(100 * time.Millisecond)
			if b2, err := os.ReadFile(p); err == nil && len(b2) == len(b) {
				return b2
			}
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("download %s did not arrive in %v (dir has %v)", name, d, names)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shot saves a screenshot to /tmp/shots/name.png.
func shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := "/tmp/shots"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }
