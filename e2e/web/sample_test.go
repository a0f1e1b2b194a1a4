package web

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite assets/web/sample.onnx from the generator")

// TestSampleUpToDate checks that the committed sample model is exactly what
// the generator writes (regenerate with: go test ./e2e/web -run TestSample -update).
func TestSampleUpToDate(t *testing.T) {
	m, data := fixture.Sample()
	got, err := fixture.EncodeONNX(m, data)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testenv.Root(t), fixture.SamplePath)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the sample: %v (regenerate with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: regenerate with go test ./e2e/web -run TestSample -update", fixture.SamplePath)
	}
	if len(want) > 64<<10 {
		t.Errorf("sample is %d bytes; keep it small", len(want))
	}
}

// TestSampleIsValidONNX runs the reference ONNX checker (python3-onnx) on
// the sample, when it is installed.
func TestSampleIsValidONNX(t *testing.T) {
	// Debian's python3-onnx lives in the system interpreter, which a
	// user-installed python3 earlier on PATH may hide.
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = testenv.LookPath(t, "python3", "python3")
	}
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		testenv.Skip(t, "python3 onnx module not installed (Debian package python3-onnx)")
	}
	path := filepath.Join(testenv.Root(t), fixture.SamplePath)
	script := `import onnx, sys
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
print(len(m.graph.node), len(m.graph.initializer), m.producer_name)`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx checker: %v\n%s", err, out)
	}
	if got := string(bytes.TrimSpace(out)); got != "11 10 modelpeek sample generator" {
		t.Errorf("onnx sees %q, want 11 nodes, 10 initializers", got)
	}
}
