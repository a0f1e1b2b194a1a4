// Package browser is the end-to-end tests' one way to drive Chromium: it
// finds Debian's chromium, starts it headless with the flags this machine
// needs (no background networking: the network is closed), opens tabs, and
// collects each page's console, logged when the test fails.
package browser

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// Find returns the Chromium binary the tests use, or "" when none is
// installed (testenv.Chromium skips or fails the test instead).
func Find() string {
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// Flags are the allocator options for a headless Chromium at exe with its
// own profile directory: a fixed window, no sandbox (tests run as root),
// no network chatter, and hidden tabs that keep drawing at full speed.
func Flags(exe, profile string) []chromedp.ExecAllocatorOption {
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
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
	}
}

// Shared is a Chromium started once for a whole test binary (from
// TestMain), for tests that open tabs in it. Close it before goleak looks
// for leaked goroutines.
type Shared struct {
	ctx     context.Context
	profile string
	cancel  func()
}

// StartShared starts a Chromium for the test binary; it returns nil when
// none is installed or it does not start (NewTab then skips or fails).
func StartShared() *Shared {
	exe := Find()
	if exe == "" {
		return nil
	}
	profile, err := os.MkdirTemp("", "modelpeek-browser-")
	if err != nil {
		return nil
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), Flags(exe, profile)...)
	bctx, cancelB := chromedp.NewContext(actx)
	s := &Shared{ctx: bctx, profile: profile, cancel: func() { cancelB(); cancelA() }}
	if err := chromedp.Do(bctx); err != nil {
		s.Close()
		return nil
	}
	return s
}

// Close ends the browser and removes its profile.
func (s *Shared) Close() {
	if s == nil {
		return
	}
	s.cancel()
	os.RemoveAll(s.profile)
}

// NewTab opens a tab of the shared browser, closed at the end of the test,
// its console logged when the test fails.
func (s *Shared) NewTab(t testing.TB) context.Context {
	t.Helper()
	if s == nil {
		testenv.Chromium(t)
		t.Fatal("chromium is installed but did not start")
	}
	return NewTab(t, s.ctx)
}

// Start starts a fresh Chromium with its own profile for one test (for
// measurements that must not share a warm browser). It is closed at the
// end of the test; the returned func closes it earlier.
func Start(t testing.TB) (context.Context, func()) {
	t.Helper()
	exe := testenv.Chromium(t)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), Flags(exe, t.TempDir())...)
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
	return ctx, stop
}

// NewTab opens a tab in the browser of ctx, closed at the end of the test,
// its console logged when the test fails.
func NewTab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	t.Cleanup(cancel)
	return CollectConsole(t, ctx)
}

// maxConsoleLines bounds what a chatty page can make a test keep.
const maxConsoleLines = 200

// CollectConsole records the console of the page of ctx and logs it when
// t fails. It returns ctx.
func CollectConsole(t testing.TB, ctx context.Context) context.Context {
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
			if len(lines) < maxConsoleLines {
				lines = append(lines, m.String())
			}
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stop()
		<-done
		if !t.Failed() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lines {
			t.Logf("console: %s", l)
		}
	})
	return ctx
}
