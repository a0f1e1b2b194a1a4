package proc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// builds memoises Binary within one test process; the content-addressed
// cache on disk shares the build between the test processes of one
// `go test ./...` run (each package is its own process).
var builds sync.Map // module root -> *build

type build struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of the modelpeek binary built from the module's
// current sources. It is the only place the tests build the binary: once
// per content of the sources (Go files, embedded assets, go.mod/go.sum),
// kept in the user cache directory, so a re-run with unchanged sources
// starts at once and a changed source is always rebuilt.
func Binary(t testing.TB) string {
	t.Helper()
	goTool := testenv.LookPath(t, "go", "golang-go")
	root := testenv.Root(t)
	v, _ := builds.LoadOrStore(root, &build{})
	b := v.(*build)
	b.once.Do(func() { b.path, b.err = buildBinary(goTool, root) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// buildBinary builds the binary into the cache under a name derived from
// the sources' hash, unless it is already there.
func buildBinary(goTool, root string) (string, error) {
	sum, err := sourceHash(root)
	if err != nil {
		return "", fmt.Errorf("hash the sources: %w", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	name := "modelpeek"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	dir := filepath.Join(cache, "modelpeek-test-bin", sum[:16])
	exe := filepath.Join(dir, name)
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build beside the final name and rename: test processes that build
	// at the same time each get a complete binary.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(tmp, name), ".")
	cmd.Dir = root
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build of modelpeek failed: %v\n%s", err, out)
	}
	if err := os.Rename(filepath.Join(tmp, name), exe); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "proc: built %s in %v\n", exe, time.Since(start).Round(time.Millisecond))
	return exe, nil
}

// sourceHash hashes every file that goes into the binary: non-test Go
// files, go.mod and go.sum, and the embedded assets; test-only trees
// (e2e, testdata) are left out.
func sourceHash(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "e2e") {
				return filepath.SkipDir
			}
			return nil
		}
		if !inBinary(rel) {
			return nil
		}
		return hashFile(h, root, rel)
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// inBinary reports whether the file at rel (slash or OS separated) may
// change the built binary.
func inBinary(rel string) bool {
	rel = filepath.ToSlash(rel)
	switch {
	case rel == "go.mod" || rel == "go.sum":
		return true
	case strings.HasSuffix(rel, "_test.go"):
		return false
	case strings.HasSuffix(rel, ".go"):
		return true
	}
	// go:embed patterns live beside Go files; assets/ and packaging/ hold
	// them all.
	return strings.HasPrefix(rel, "assets/") || strings.HasPrefix(rel, "packaging/") || strings.HasPrefix(rel, "tray/icons/")
}

func hashFile(h io.Writer, root, rel string) error {
	f, err := os.Open(filepath.Join(root, rel))
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
	_, err = io.Copy(h, f)
	fmt.Fprint(h, "\x00")
	return err
}
