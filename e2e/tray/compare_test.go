//go:build linux

package tray

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/browser"
	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
	"github.com/modelpeek/modelpeek/tray"
)

// compareHang bounds each wait of the compare test: 10× what it takes
// here (a reload and its menu update in about 0.3 s).
const compareHang = 5 * time.Second

// writeSample writes the sample ONNX model to p, with one weight value
// moved by delta.
func writeSample(t *testing.T, p string, delta float32) {
	t.Helper()
	m, data := fixture.Sample()
	data["classifier.fc.weight"][0] += delta
	b, err := fixture.EncodeONNX(m, data)
	if err != nil {
		t.Fatal(err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

// Rewriting a watched model offers "Compare with previous version" for
// it; clicking it opens the compare view of the two versions, which
// shows the one changed weight.
func TestCompareWithPreviousVersion(t *testing.T) {
	if _, err := exec.LookPath("xdg-open"); err != nil {
		testenv.Skip(t, "xdg-open not found (install Debian package xdg-utils)")
	}
	model := filepath.Join(t.TempDir(), "model.onnx")
	writeSample(t, model, 0)
	dir := t.TempDir()
	urls := filepath.Join(dir, "urls")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> "+urls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := dbustest.StartBus(t)
	dbustest.StartWatcher(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	home := proc.NewHome(t)
	cmd := exec.Command(proc.Binary(t), "--no-browser", model)
	cmd.Env = home.Env(dbustest.Env(addr), "XDG_RUNTIME_DIR="+home.Dir, "BROWSER="+script)
	p := proc.Start(t, cmd)
	srv, err := p.Serving(ctx)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.Stderr())
	}
	tr, err := dbustest.FindTray(ctx, dbustest.Connect(t, addr), p.Pid())
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.Stderr())
	}

	writeSample(t, model, 0.25)
	wctx, wcancel := context.WithTimeout(ctx, compareHang)
	defer wcancel()
	root, err := tr.WaitFor(wctx, func(r dbustest.Item) bool {
		sub, ok := r.Find(tray.LabelComparePrevious)
		return ok && len(sub.VisibleChildren()) == 1
	})
	if err != nil {
		t.Fatalf("no %q entry after the rewrite: %v", tray.LabelComparePrevious, err)
	}
	sub, _ := root.Find(tray.LabelComparePrevious)
	if err := tr.Click(ctx, sub.VisibleChildren()[0].ID); err != nil {
		t.Fatal(err)
	}
	u := firstURL(t, urls)
	if u.Query().Get("compare") != "previous" || u.Query().Get("model") == "" {
		t.Fatalf("the tray opened %s, want the compare view of the model with its previous version", u)
	}
	checkCompareView(t, srv, u)
	kept := keptVersions(t, home.Tmp)
	if len(kept) == 0 {
		ents, _ := os.ReadDir(home.Tmp)
		t.Errorf("no copy of the model's versions in the app's private directories; %s holds %v", home.Tmp, ents)
	}
	p.Stop(t, syscall.SIGTERM, compareHang)
	if left := keptVersions(t, home.Tmp); len(left) != 0 {
		t.Errorf("the kept versions %q remain after exit", left)
	}
}

// keptVersions lists the files under the app's private directories in
// tmp (modelpeek-upload-*, modelpeek-versions-*), where it keeps versions
// for comparison.
func keptVersions(t *testing.T, tmp string) []string {
	t.Helper()
	var out []string
	dirs, _ := filepath.Glob(filepath.Join(tmp, "modelpeek-*"))
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// firstURL waits for the first URL the fake browser was given.
func firstURL(t *testing.T, urls string) *url.URL {
	t.Helper()
	for deadline := time.Now().Add(compareHang); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(urls)
		if line, _, ok := strings.Cut(string(b), "\n"); ok {
			u, err := url.Parse(line)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		if time.Now().After(deadline) {
			t.Fatal("the browser was never opened")
		}
	}
}

// checkCompareView opens u in Chromium (after the launch URL, which sets
// the session) and expects one change: the Gemm whose weight moved.
func checkCompareView(t *testing.T, srv *proc.Server, u *url.URL) {
	t.Helper()
	b, _ := browser.Start(t)
	ctx := browser.NewTab(t, b)
	c, cancel := context.WithTimeout(ctx, 4*compareHang)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(srv.URL.String())); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(c, chromedp.Navigate(u.String())); err != nil {
		t.Fatal(err)
	}
	const js = `window.modelpeekCompare && window.modelpeekCompare.state().state === 'ready' ? JSON.stringify(window.modelpeekCompare.state().items) : ''`
	for {
		got, err := chromedp.Run(c, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("the compare view never got ready: %v", err)
		}
		if got != "" {
			if want := `[{"kind":"changed","name":"/classifier/fc/Gemm","a":"`; !strings.HasPrefix(got, want) || strings.Count(got, "kind") != 1 {
				t.Errorf("the compare view lists %s, want only the changed Gemm", got)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
