package compare_test

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// fakeBrowser writes a browser script that appends each URL it is given
// to a file and returns the BROWSER setting (xdg-open honours it) and
// the file.
func fakeBrowser(t *testing.T) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("xdg-open"); err != nil {
		testenv.Skip(t, "xdg-open not found (install Debian package xdg-utils)")
	}
	dir := t.TempDir()
	urls := filepath.Join(dir, "urls")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> "+urls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return "BROWSER=" + script, urls
}

// waitURL waits for the fake browser's first URL.
func waitURL(t *testing.T, urls string) *url.URL {
	t.Helper()
	for deadline := time.Now().Add(hang); ; time.Sleep(10 * time.Millisecond) {
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

// checkCompareURL expects u to open the compare view of the model IDs
// of a.onnx and b.onnx, as the page of s lists them.
func checkCompareURL(t *testing.T, s *session, u *url.URL) {
	t.Helper()
	ids := s.ids()
	if q := u.Query(); q.Get("model") != ids["a.onnx"] || q.Get("compare") != ids["b.onnx"] {
		t.Fatalf("opened %s, want the compare view of a.onnx (%s) and b.onnx (%s)", u, ids["a.onnx"], ids["b.onnx"])
	}
	s.navigate(u.String())
	s.wait("the compare view", `window.modelpeekCompare && window.modelpeekCompare.state().state === 'ready'`)
	if n := len(s.state().Items); n != len(wantItems) {
		t.Errorf("the opened compare view lists %d changes, want %d", n, len(wantItems))
	}
}

// `modelpeek serve --compare A B` opens the compare view of A and B.
func TestServeCompare(t *testing.T) {
	a, b := writePair(t, t.TempDir())
	env, urls := fakeBrowser(t)
	home := proc.NewHome(t)
	cmd := exec.Command(proc.Binary(t), "serve", "--addr", "127.0.0.1:0", "--compare", a, b)
	cmd.Env = home.Env(nil, env)
	srv := proc.StartServing(t, cmd, home)
	t.Cleanup(func() { srv.Stop(t, syscall.SIGINT, hang) })
	u := waitURL(t, urls)
	s := browse(t, srv)
	checkCompareURL(t, s, u)
}

// A second launch `modelpeek --compare A B` hands both files to the
// running instance (over the session bus), which opens their compare
// view.
func TestCompareHandedOver(t *testing.T) {
	a, b := writePair(t, t.TempDir())
	env, urls := fakeBrowser(t)
	addr := dbustest.StartBus(t)
	home := proc.NewHome(t)
	bin := proc.Binary(t)
	first := exec.Command(bin, "--no-browser")
	first.Env = home.Env(dbustest.Env(addr), "XDG_RUNTIME_DIR="+home.Dir, env)
	srv := proc.StartServing(t, first, home)
	t.Cleanup(func() { srv.Stop(t, syscall.SIGTERM, hang) })

	second := exec.Command(bin, "--compare", a, b)
	second.Env = first.Env
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "handed over") {
		t.Fatalf("second launch: %v: %s", err, out)
	}
	u := waitURL(t, urls)
	s := browse(t, srv)
	checkCompareURL(t, s, u)
}
