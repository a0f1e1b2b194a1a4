package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/server"
)

// env is one running server with its library.
type env struct {
	lib *Library
	srv *server.Server
	url string // base URL with the launch token
}

// startServer starts the real viewer server over lib, serving assets/web
// from the source tree (so the test sees the files being edited).
func startServer(t testing.TB, lib *Library) *env {
	t.Helper()
	web := os.DirFS(filepath.Join(testenv.Root(t), "assets", "web"))
	if d := os.Getenv("MODELPEEK_WEB_DIR"); d != "" {
		// Another copy of the page, to compare versions in benchmarks.
		web = os.DirFS(d)
	}
	srv, err := server.New(server.Config{
		Library:   lib,
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

// browserFlags are the Chromium flags of every test browser.
func browserFlags(exe, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("enable-precise-memory-info", true),
	}
}

// sharedBrowser is the one Chromium the functional tests open tabs in,
// started by TestMain (nil when Chromium is missing); set before any test
// runs and never changed while they run.
var sharedBrowser context.Context

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if exe := findChromium(); exe != "" {
		profile, err := os.MkdirTemp("", "webtest-profile-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(profile)
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), browserFlags(exe, profile)...)
		bctx, cancelB := chromedp.NewContext(actx)
		if err := chromedp.Do(bctx); err != nil {
			fmt.Fprintln(os.Stderr, "start chromium:", err)
		} else {
			sharedBrowser = bctx
		}
		defer func() {
			cancelB()
			cancelA()
		}()
	}
	code := m.Run()
	if code == 0 {
		if sharedBrowser != nil {
			// Close the browser before looking for leaked goroutines.
			chromedp.Cancel(sharedBrowser)
		}
		if err := goleak.Find(goleak.IgnoreCurrent()); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

// findChromium returns the browser testenv.Chromium would use, or "".
func findChromium() string {
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// newBrowser returns a new tab of the shared browser, closed at test end.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	if sharedBrowser == nil {
		testenv.Chromium(t)
		t.Fatal("chromium is installed but did not start")
	}
	ctx, cancel := chromedp.NewContext(sharedBrowser)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	t.Cleanup(cancel)
	return collectConsole(t, ctx)
}

// newFreshBrowser starts a fresh headless Chromium with its own profile
// (for measurements that must not share a warm browser). The returned func
// closes it (also done at test end).
func newFreshBrowser(t testing.TB) (context.Context, func()) {
	t.Helper()
	exe := testenv.Chromium(t)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), browserFlags(exe, t.TempDir())...)
	ctx, cancelB := chromedp.NewContext(actx)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancelB()
			cancelA()
		})
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(stop)
	return collectConsole(t, ctx), stop
}

// collectConsole records the page's console and logs it when t fails.
func collectConsole(t testing.TB, ctx context.Context) context.Context {
	// Collect the page's console for the failure report.
	var mu sync.Mutex
	var lines []string
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(cctx) {
			if err != nil {
				return
			}
			mu.Lock()
			if len(lines) < 200 {
				lines = append(lines, m.String())
			}
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stop()
		<-done
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			for _, l := range lines {
				t.Logf("console: %s", l)
			}
		}
	})
	return ctx
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
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: &on,
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
