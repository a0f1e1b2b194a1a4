package pytorch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
	"github.com/modelpeek/modelpeek/model/internal/llm/llmfacts"
)

// wholeModuleScript rebuilds a state dict as a whole nn.Module (a tree of
// plain modules holding the tensors as parameters under the same names)
// and pickles it with torch.save: the file a user gets from
// torch.save(model) of a Hugging Face model.
const wholeModuleScript = `
import sys, torch, torch.nn as nn
sd = torch.load(sys.argv[1])
root = nn.Module()
for name, t in sd.items():
    *path, leaf = name.split(".")
    m = root
    for p in path:
        if p not in m._modules:
            m.add_module(p, nn.Module())
        m = m._modules[p]
    m.register_parameter(leaf, nn.Parameter(t, requires_grad=False))
torch.save(root, sys.argv[2])
`

// TestWholeModuleWithConfig pickles every Hugging Face state dict of the
// manifests that has architecture facts as a whole module, with the
// entry's config.json beside it: the architecture's graph must meet the
// entry's facts. Without the config, the same file is its module tree:
// containers only, no values between them, and the weights-only note.
func TestWholeModuleWithConfig(t *testing.T) {
	py := torchPython(t)
	n := 0
	for _, e := range testenv.ManifestEntries(t, "pytorch") {
		f, err := llmfacts.Parse(e.Facts)
		if err != nil || f == nil || f.Architecture == nil || filepath.Base(e.Path) != "pytorch_model.bin" {
			continue
		}
		n++
		t.Run(e.Path, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "model.pt")
			if out, err := exec.Command(py, "-c", wholeModuleScript, e.Abs(), file).CombinedOutput(); err != nil {
				t.Fatalf("torch.save: %v\n%s", err, out)
			}
			m, err := Open(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			checkModuleTree(t, m)
			cfg, err := os.ReadFile(filepath.Join(filepath.Dir(e.Abs()), llm.ConfigName))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, llm.ConfigName), cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			m, err = Open(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			if property(m, "architecture") == "" {
				t.Errorf("config.json beside the module gave no architecture: %v", m.Properties)
			}
			for _, msg := range llmfacts.Check(m, f) {
				t.Error(msg)
			}
		})
	}
	if n == 0 {
		t.Fatal("no Hugging Face pytorch_model.bin with architecture facts in the manifests")
	}
}

// checkModuleTree checks a whole module drawn without a config: every
// node a container producing nothing, every tensor held by one node, and
// the note.
func checkModuleTree(t *testing.T, m *model.Model) {
	t.Helper()
	if property(m, "graph") != llm.WeightsOnlyNote {
		t.Errorf("no weights-only note: %v", m.Properties)
	}
	held := map[string]int{}
	for _, n := range m.Graph.Nodes {
		if !n.Container || len(n.Outputs) > 0 {
			t.Errorf("node %s (%s) is an operation with outputs %v", n.Name, n.OpType, n.Outputs)
		}
		for _, in := range n.Inputs {
			held[in]++
		}
	}
	for _, tn := range m.Graph.Initializers {
		if held[tn.Name] != 1 {
			t.Errorf("tensor %s held by %d nodes", tn.Name, held[tn.Name])
		}
	}
	if !slices.ContainsFunc(m.Properties, func(p model.Property) bool { return p.Name == "modules" }) {
		t.Errorf("no modules property: %v", m.Properties)
	}
}

// torchPython returns a python3 that imports torch, skipping (or failing
// under MODELPEEK_REQUIRE_ALL=1) when there is none.
func torchPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{testenv.LookPathOptional("python3"), "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import torch").Run() == nil {
			return p
		}
	}
	testenv.Skip(t, "no python3 with torch (install the Debian package python3-torch)")
	return ""
}
