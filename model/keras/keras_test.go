package keras

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

type dataset struct {
	Shape []int64 `json:"shape"`
	DType string  `json:"dtype"`
}

type facts struct {
	Container  string         `json:"container"`
	RootAttrs  map[string]any `json:"root_attrs"`
	ModelClass string         `json:"model_class_name"`
	Layers     []struct {
		Class string `json:"class_name"`
		Name  string `json:"name"`
	} `json:"layers"`
	WeightsLayerNames []string           `json:"model_weights_layer_names"`
	Weights           map[string]dataset `json:"weights_datasets"`
	WeightsH5         map[string]dataset `json:"weights_h5_datasets"`
	Metadata          map[string]string  `json:"metadata_json"`
	WeightsOnly       bool               `json:"weights_only_file"`
}

type entry struct {
	Path   string          `json:"path"`
	Format string          `json:"format"`
	Bytes  int64           `json:"bytes"`
	Raw    json.RawMessage `json:"facts"`
	Facts  facts           `json:"-"`
}

func manifest(t testing.TB) (string, []entry) {
	dir := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []entry
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, e := range all {
		if e.Format == "keras" {
			if err := json.Unmarshal(e.Raw, &e.Facts); err != nil {
				t.Fatalf("%s: %v", e.Path, err)
			}
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Fatal("no Keras files in the manifest")
	}
	return dir, out
}

func TestCorpus(t *testing.T) {
	dir, entries := manifest(t)
	for _, e := range entries {
		t.Run(filepath.Base(e.Path), func(t *testing.T) {
			file := filepath.Join(dir, e.Path)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := model.Plausible
			if strings.HasSuffix(e.Path, ".keras") {
				want = model.Strong
			}
			if got := Detect(data[:min(len(data), model.SniffLen)], e.Bytes); got != want {
				t.Errorf("detect %v, want %v", got, want)
			}
			m, err := Open(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("warnings: %v", m.Warnings)
			}
			version, _ := e.Facts.RootAttrs["keras_version"].(string)
			if v := e.Facts.Metadata["keras_version"]; v != "" {
				version = v
			}
			if m.Producer != "Keras "+version {
				t.Errorf("producer %q, want Keras %s", m.Producer, version)
			}
			if e.Facts.ModelClass != "" {
				var class string
				for _, p := range m.Properties {
					if p.Name == "model class" {
						class = p.Value
					}
				}
				if class != e.Facts.ModelClass {
					t.Errorf("model class %q, want %q", class, e.Facts.ModelClass)
				}
			}
			// Layers: InputLayers are graph inputs, the others nodes, in order.
			var wantNodes, wantInputs []string
			for _, l := range e.Facts.Layers {
				if l.Class == "InputLayer" {
					wantInputs = append(wantInputs, l.Name)
				} else {
					wantNodes = append(wantNodes, l.Class+":"+l.Name)
				}
			}
			if e.Facts.WeightsOnly {
				for _, n := range e.Facts.RootAttrs["layer_names"].([]any) {
					wantNodes = append(wantNodes, strings.TrimRight(strings.TrimRight(n.(string), "0123456789"), "_")+":"+n.(string))
				}
			}
			var gotNodes, gotInputs []string
			for _, n := range m.Graph.Nodes {
				gotNodes = append(gotNodes, n.OpType+":"+n.Name)
			}
			for _, v := range m.Graph.Inputs {
				gotInputs = append(gotInputs, v.Name)
			}
			if !slices.Equal(gotNodes, wantNodes) {
				t.Errorf("nodes %v\nwant %v", gotNodes, wantNodes)
			}
			if len(wantInputs) > 0 && !slices.Equal(gotInputs, wantInputs) {
				t.Errorf("inputs %v, want %v", gotInputs, wantInputs)
			}
			// Weights: exactly the datasets, with shapes and dtypes.
			ds := e.Facts.Weights
			if ds == nil {
				ds = e.Facts.WeightsH5
			}
			got := map[string]*model.Tensor{}
			for _, tn := range m.Graph.Initializers {
				got[tn.Name] = tn
			}
			if len(got) != len(ds) {
				t.Errorf("%d tensors, want %d", len(got), len(ds))
			}
			for name, d := range ds {
				tn := got[name]
				if tn == nil {
					t.Errorf("tensor %s missing", name)
					continue
				}
				if string(tn.DType) != d.DType || !slices.Equal(tn.Shape, d.Shape) {
					t.Errorf("%s is %s%v, want %s%v", name, tn.DType, tn.Shape, d.DType, d.Shape)
				}
				if l := tn.Location; l == nil || l.Offset < 0 || l.Offset+l.Length > e.Bytes {
					t.Errorf("%s: location %+v outside the file", name, l)
				} else if l.Encoding == model.EncRaw {
					n, _ := model.NumElements(tn.Shape)
					es, _ := model.DTypeSize(tn.DType)
					if l.Length != n*int64(es) {
						t.Errorf("%s: %d bytes, want %d", name, l.Length, n*int64(es))
					}
				}
			}
			// Layer weights feed their layer's node.
			used := map[string]bool{}
			for _, n := range m.Graph.Nodes {
				for _, in := range n.Inputs {
					used[in] = true
				}
			}
			for name := range ds {
				if strings.HasPrefix(name, "optimizer/") {
					continue
				}
				if !used[name] {
					t.Errorf("weight %s feeds no node", name)
				}
			}
		})
	}
}

// TestWeightOrder: weights follow Keras' own order (weight_names: kernel
// before bias) and numbered variables sort naturally.
func TestWeightOrder(t *testing.T) {
	dir, _ := manifest(t)
	for file, want := range map[string][]string{
		"keras/churn_ann.h5":             {"dense_6/sequential_2/dense_6/kernel", "dense_6/sequential_2/dense_6/bias", "dense_7/sequential_2/dense_7/kernel"},
		"keras/dense_classifier_2019.h5": {"dense_1/dense_1/kernel:0", "dense_1/dense_1/bias:0", "dense_2/dense_2/kernel:0"},
		"keras/flownet_ann.keras":        {"layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0"},
	} {
		m, err := Open(context.Background(), filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tn := range m.Graph.Initializers[:3] {
			got = append(got, tn.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: first weights %v, want %v", file, got, want)
		}
		var opt []string
		for _, tn := range m.Graph.Initializers {
			if strings.HasPrefix(tn.Name, "optimizer/vars/") {
				opt = append(opt, strings.TrimPrefix(tn.Name, "optimizer/vars/"))
			}
		}
		if len(opt) > 3 && (opt[2] != "2" || opt[0] != "0") {
			t.Errorf("%s: optimizer vars in order %v", file, opt)
		}
	}
}

// TestSequentialValueTypes: Keras 3 records each layer's input shape
// (build_config), which types the edges of a Sequential model.
func TestSequentialValueTypes(t *testing.T) {
	dir, _ := manifest(t)
	m, err := Open(context.Background(), filepath.Join(dir, "keras/flownet_ann.keras"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range m.Graph.ValueInfo {
		got[v.Name] = string(v.Type.DType) + v.Type.Shape.String()
	}
	// dropout, leaky_re_lu and leaky_re_lu_1 from the next Dense's
	// build_config; dense, dense_1 and dense_2 passed back through the
	// shape-preserving Dropout and LeakyReLU.
	for name, want := range map[string]string{"dropout": "float32[?,128]", "dense": "float32[?,128]", "dense_1": "float32[?,64]",
		"leaky_re_lu": "float32[?,64]", "dense_2": "float32[?,32]", "leaky_re_lu_1": "float32[?,32]"} {
		if got[name] != want {
			t.Errorf("value %s typed %q, want %q (all: %v)", name, got[name], want, got)
		}
	}
}
