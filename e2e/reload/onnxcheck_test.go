package reload

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestChainModelIsValidONNX checks the test's model writer against the
// reference implementation: onnx.checker (Debian python3-onnx) accepts
// chainModel's bytes and counts the same nodes.
func TestChainModelIsValidONNX(t *testing.T) {
	// Debian's python3-onnx is for the system python, which may not be
	// the first python3 on PATH (pyenv).
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = testenv.LookPath(t, "python3", "python3")
	}
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		testenv.Skip(t, "python3 cannot import onnx (install Debian package python3-onnx): %v", err)
	}
	sizes := []int{1, chainLen, chainLen + latencySaves}
	args := []string{"-c", `import sys, onnx
for p in sys.argv[1:]:
    m = onnx.load(p)
    onnx.checker.check_model(m, full_check=True)
    print(len(m.graph.node))`}
	dir := t.TempDir()
	for _, n := range sizes {
		p := filepath.Join(dir, "chain"+strconv.Itoa(n)+".onnx")
		if err := os.WriteFile(p, chainModel(n), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker rejects a chainModel: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if len(got) != len(sizes) {
		t.Fatalf("onnx printed %q for %d models", out, len(sizes))
	}
	for i, n := range sizes {
		if got[i] != strconv.Itoa(n) {
			t.Errorf("onnx counts %s nodes in chainModel(%d)", got[i], n)
		}
	}
}
