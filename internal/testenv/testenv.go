// Package testenv has helpers shared by tests: finding the shared corpus,
// and skipping tests whose requirements are missing — unless
// MODELPEEK_REQUIRE_ALL=1, in which case a missing requirement fails.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireAll reports whether MODELPEEK_REQUIRE_ALL=1 is set (as in CI).
func RequireAll() bool { return os.Getenv("MODELPEEK_REQUIRE_ALL") == "1" }

// Skip skips the test with a clear message, or fails it when RequireAll.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireAll() {
		t.Fatalf("MODELPEEK_REQUIRE_ALL=1 but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// LookPath returns the path of a program, skipping (or failing) the test
// when it is not installed. hint names the Debian package.
func LookPath(t testing.TB, prog, hint string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		Skip(t, "%s not found (install Debian package %s)", prog, hint)
	}
	return p
}

// Root returns the module root (the directory holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Corpus returns the absolute path of ../shared/corpus beside the module
// root, skipping (or failing) when it is absent.
func Corpus(t testing.TB) string {
	t.Helper()
	return sharedDir(t, "corpus")
}

// Chromium returns the path of a Chromium binary for chromedp tests.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	Skip(t, "no chromium found (install Debian package chromium)")
	return ""
}

// LookPathOptional returns the path of a program, or "" when it is not
// installed; for extra checks that are not required.
func LookPathOptional(prog string) string {
	p, _ := exec.LookPath(prog)
	return p
}
