package cost_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestChannelShuffle exports a channel-shuffle network with a dynamic
// batch with torch (its Reshape targets computed from Shape → Gather →
// Div → Concat) and counts it at batch 2: every node known, and the MACs
// of its convolutions as the architecture gives them (per block: two 1×1
// convolutions C→C and a depthwise 3×3, at C×HW×HW, per batch row). The
// log compares with python onnx's own inference, which loses shapes
// behind the computed Reshapes.
func TestChannelShuffle(t *testing.T) {
	if testing.Short() {
		t.Skip("exports with torch")
	}
	py := pythonWithTorch(t)
	out := filepath.Join(t.TempDir(), "shuffle.onnx")
	raw, err := exec.Command(py, filepath.Join("testdata", "shuffle.py"), out).Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var f struct {
		Convs     int64 `json:"convs"`
		OnnxKnown int64 `json:"onnx_known"`
		Channels  int64 `json:"channels"`
		Size      int64 `json:"size"`
		Blocks    int64 `json:"blocks"`
	}
	if err := json.Unmarshal(lastLine(raw), &f); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	r := cost.Model(context.Background(), open(t, out), cost.Options{Dims: map[string]int64{"batch": 2}})
	plane := f.Channels * f.Size * f.Size
	want := f.Blocks * (2*plane*f.Channels + plane*9)
	t.Logf("%d Conv outputs: python onnx types %d in full; %d unknown nodes here, MACs %s (architecture: %d·batch)",
		f.Convs, f.OnnxKnown, r.UnknownNodes, r.MACsFormula, want)
	if r.UnknownNodes != 0 || r.MACs != 2*want {
		t.Errorf("%d unknown nodes, %d MACs at batch 2; want 0 and %d", r.UnknownNodes, r.MACs, 2*want)
	}
}

// lastLine is the last non-empty line of b.
func lastLine(b []byte) []byte {
	end := len(b)
	for end > 0 && (b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	start := end
	for start > 0 && b[start-1] != '\n' {
		start--
	}
	return b[start:end]
}

// pythonWithTorch returns a python3 that imports torch and onnx (the one
// on PATH, else Debian's), skipping (or failing under
// MODELPEEK_REQUIRE_ALL=1) when there is none.
func pythonWithTorch(t *testing.T) string {
	t.Helper()
	for _, p := range []string{testenv.LookPathOptional("python3"), "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import torch, onnx").Run() == nil {
			return p
		}
	}
	testenv.Skip(t, "no python3 with torch and onnx (install Debian packages python3-torch, python3-onnx)")
	return ""
}
