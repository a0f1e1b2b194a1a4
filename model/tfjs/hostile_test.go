package tfjs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/tfjs"
)

// openBytes writes data as model.json in a fresh folder and opens it.
func openBytes(t testing.TB, dir string, data []byte) (*model.Model, error) {
	p := filepath.Join(dir, "model.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return tfjs.Open(t.Context(), p)
}

// TestHostile opens crafted model.json files: each must be refused with a
// "tfjs:" error or open with bounded work, quickly and without a panic.
func TestHostile(t *testing.T) {
	deepNest := `{"modelTopology":{"class_name":"Sequential","config":` + strings.Repeat(`{"layers":[{"class_name":"Sequential","config":`, 200) +
		`{}` + strings.Repeat(`}]}`, 200) + `}}`
	var funcs []string
	for i := range 300 {
		funcs = append(funcs, fmt.Sprintf(`{"signature":{"name":"f%d"},"nodeDef":[{"name":"w","op":"While","attr":{"body":{"func":{"name":"f%d"}}}}]}`, i, i+1))
	}
	chain := `{"format":"graph-model","modelTopology":{"node":[{"name":"w","op":"While","attr":{"body":{"func":{"name":"f0"}}}}],"library":{"function":[` + strings.Join(funcs, ",") + `]}}}`
	var refs []string
	for i := range 2000 {
		refs = append(refs, fmt.Sprintf(`"n%d:%d"`, i, 900000+i))
	}
	ports := `{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"AddN","input":[` + strings.Join(refs, ",") + `]}]}}`
	cases := map[string]string{
		"empty":          ``,
		"not json":       `{"modelTopology": [`,
		"null topology":  `{"modelTopology": null}`,
		"array topology": `{"modelTopology": [1,2,3]}`,
		"no config":      `{"modelTopology": {"class_name": "Sequential"}}`,
		"deep json":      `{"modelTopology":` + strings.Repeat(`[`, 100000) + strings.Repeat(`]`, 100000) + `}`,
		"deep models":    deepNest,
		"function chain": chain,
		"high ports":     ports,
		"huge shape":     `{"modelTopology":{"node":[]},"weightsManifest":[{"paths":["a.bin"],"weights":[{"name":"w","dtype":"float32","shape":[4611686018427387904,4]},{"name":"v","dtype":"float32","shape":[-5]}]}]}`,
		"escaping shard": `{"modelTopology":{"node":[]},"weightsManifest":[{"paths":["../../../../etc/passwd","/etc/passwd"],"weights":[{"name":"w","dtype":"float32","shape":[4]}]}]}`,
		"bad dims":       `{"modelTopology":{"node":[{"name":"x","op":"Placeholder","attr":{"shape":{"shape":{"dim":[{"size":"1e400"}]}}}}]}}`,
		"string weight":  `{"modelTopology":{"node":[]},"weightsManifest":[{"paths":["a.bin"],"weights":[{"name":"s","dtype":"string","shape":[2]},{"name":"w","dtype":"float32","shape":[4]}]}]}`,
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			m, err := openBytes(t, t.TempDir(), []byte(data))
			if err != nil && !strings.HasPrefix(err.Error(), "tfjs: ") {
				t.Errorf("error %q does not name the format", err)
			}
			if err == nil && m.Graph == nil {
				t.Error("a model without a graph")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if err == nil {
				if n := model.CountNodes(m.Graph); n > 10000 {
					t.Errorf("%d nodes from a small file", n)
				}
			}
		})
	}
}

// TestEscapingShardNotRead checks that shard paths leaving the model's
// folder are reported missing, never located.
func TestEscapingShardNotRead(t *testing.T) {
	m, err := openBytes(t, t.TempDir(), []byte(`{"modelTopology":{"node":[]},"weightsManifest":[{"paths":["../x.bin"],"weights":[{"name":"w","dtype":"float32","shape":[4]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if loc := m.Graph.Initializers[0].Location; loc == nil || !loc.Missing {
		t.Errorf("location %+v, want a missing one", loc)
	}
}

// FuzzOpen opens mutated corpus model.json files.
func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "tfjs") {
		if b, err := os.ReadFile(e.Abs()); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	// A weights manifest without topology, with a repeated name.
	f.Add([]byte(`{"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"a/k","shape":[2],"dtype":"float32"},{"name":"a/k","shape":[1],"dtype":"int32"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := openBytes(t, t.TempDir(), data)
		if err == nil && m.Graph == nil {
			t.Fatal("a model without a graph")
		}
	})
}
