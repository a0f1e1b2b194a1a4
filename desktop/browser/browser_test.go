//go:build linux || freebsd || openbsd || netbsd

package browser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeOpener puts an xdg-open script first (and alone) on PATH.
func fakeOpener(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/bin:/usr/bin")
}

func TestOpenSucceeds(t *testing.T) {
	got := filepath.Join(t.TempDir(), "url")
	fakeOpener(t, "echo chatter; echo more chatter >&2; printf '%s' \"$1\" > "+got+"\n")
	if err := Open("http://127.0.0.1:1/?token=x"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != "http://127.0.0.1:1/?token=x" {
		t.Errorf("opener got %q", b)
	}
}

// A failing opener's chatter is kept out of the terminal; the error
// carries its last line.
func TestOpenFailureCapturesOutput(t *testing.T) {
	fakeOpener(t, "echo 'www-browser: not found'; echo 'xdg-open: no method available for opening' >&2; exit 3\n")
	err := Open("http://127.0.0.1:1/")
	if err == nil {
		t.Fatal("Open succeeded")
	}
	if !strings.Contains(err.Error(), "xdg-open: exit status 3 (xdg-open: no method available for opening)") {
		t.Errorf("error %q", err)
	}
}

// An opener that leaves a child holding its output (a browser it
// started) does not hold Open up. Expected: about outputWait (0.2 s);
// the 2 s bound (10×) only catches a hang.
func TestOpenDoesNotWaitForBrowser(t *testing.T) {
	fakeOpener(t, "sleep 5 & exit 0\n")
	start := time.Now()
	if err := Open("http://127.0.0.1:1/"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*outputWait {
		t.Errorf("Open took %v", d)
	}
}

func TestOpeners(t *testing.T) {
	for goos, want := range map[string]string{"linux": "xdg-open", "darwin": "open", "windows": "rundll32"} {
		if o := openers(goos, "u"); o[0][0] != want || o[0][len(o[0])-1] != "u" {
			t.Errorf("%s: %v", goos, o)
		}
	}
}
