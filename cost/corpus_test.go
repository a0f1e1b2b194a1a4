package cost_test

import (
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// publishedGMACs are torchvision's published GFLOPS (multiply-accumulates
// at 224×224, from its model documentation) for the architectures of the
// corpus exports. The manifest carries no such figure, so these are the
// figures quoted in issue 25, keyed by model name.
var publishedGMACs = map[string]float64{
	"mobilenet_v3_small": 0.06,
	"squeezenet1_1":      0.35,
	"resnet18":           1.81,
}

// publishedFor finds the figure of the architecture a file is an export
// of: the longest model name its base name starts with.
func publishedFor(p string) (string, float64, bool) {
	base, best := path.Base(p), ""
	for name := range publishedGMACs {
		if strings.HasPrefix(base, name) && len(name) > len(best) {
			best = name
		}
	}
	return best, publishedGMACs[best], best != ""
}

func open(t *testing.T, p string) *model.Model {
	t.Helper()
	m, err := all.Registry().Open(context.Background(), p)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	return m
}

// TestTorchvisionPublished checks every torchvision export of the corpus:
// MACs within the published figure's rounding interval (± 0.005 G)
// widened by 3%, and params equal to the initializers' element count.
func TestTorchvisionPublished(t *testing.T) {
	checked := 0
	for _, e := range testenv.ManifestEntries(t, "onnx") {
		if !strings.Contains(e.Path, "/torchvision/") || !e.Valid() {
			continue
		}
		name, pub, ok := publishedFor(e.Path)
		if !ok {
			t.Errorf("%s: no published figure for this architecture", e.Name())
			continue
		}
		var f struct {
			Elements int64 `json:"initializer_total_elements"`
		}
		if err := json.Unmarshal(e.Facts, &f); err != nil || f.Elements == 0 {
			t.Fatalf("%s: facts lack initializer_total_elements (%v)", e.Name(), err)
		}
		r := cost.Model(context.Background(), open(t, e.Abs()), cost.Options{})
		g := float64(r.MACs) / 1e9
		lo, hi := (pub-0.005)*0.97, (pub+0.005)*1.03
		t.Logf("%s (%s): %.4f GMACs, published %.2f, interval [%.4f, %.4f]; params %d; %d unknown nodes; peak %d B",
			e.Name(), name, g, pub, lo, hi, r.Params, r.UnknownNodes, r.PeakBytes)
		if g < lo || g > hi {
			t.Errorf("%s: %.4f GMACs outside [%.4f, %.4f]", e.Name(), g, lo, hi)
		}
		if r.Params != f.Elements {
			t.Errorf("%s: params %d, initializers hold %d elements", e.Name(), r.Params, f.Elements)
		}
		if r.UnknownNodes != 0 {
			t.Errorf("%s: %d unknown nodes", e.Name(), r.UnknownNodes)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no torchvision export in the corpus")
	}
}

// TestFixedInputsKnown opens every valid ONNX model of the manifests
// whose graph inputs all have fixed shapes, and requires no unknown node.
func TestFixedInputsKnown(t *testing.T) {
	models := 0
	for _, e := range testenv.ManifestEntries(t, "onnx", "onnx-external-data") {
		if !e.Valid() {
			continue
		}
		m, err := all.Registry().Open(context.Background(), e.Abs())
		if err != nil || m.Graph == nil || !fixedInputs(m.Graph) {
			continue
		}
		models++
		r := cost.Model(context.Background(), m, cost.Options{})
		for i, nd := range r.Nodes {
			if nd.Unknown {
				n := m.Graph.Nodes[i]
				t.Errorf("%s: node %q (%s) unknown", e.Name(), n.Name, n.OpType)
			}
		}
	}
	t.Logf("%d models with fixed input shapes", models)
	if models == 0 {
		t.Error("no model with fixed input shapes")
	}
}

// fixedInputs reports whether every graph input that is not a weight
// has a shape of known dims.
func fixedInputs(g *model.Graph) bool {
	inits := map[string]bool{}
	for _, t := range g.Initializers {
		inits[t.Name] = true
	}
	for _, v := range g.Inputs {
		if inits[v.Name] {
			continue
		}
		if v.Type == nil || v.Type.Kind != model.KindTensor || v.Type.Shape == nil {
			return false
		}
		for _, d := range v.Type.Shape {
			if !d.Known {
				return false
			}
		}
	}
	return true
}
