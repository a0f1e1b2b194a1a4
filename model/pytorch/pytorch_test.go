package pytorch

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pickle"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

type tensorFact struct {
	Shape   []int64 `json:"shape"`
	DType   string  `json:"dtype"`
	QScheme string  `json:"qscheme"`
}

type facts struct {
	IsZip          bool                  `json:"is_zip"`
	Globals        []string              `json:"data_pkl_globals"`
	LegacyGlobals  []string              `json:"data_pickle_globals"`
	ArchiveVersion string                `json:"archive_version"`
	PythonType     string                `json:"python_type"`
	TopLevelKeys   []string              `json:"top_level_keys"`
	Tensors        map[string]tensorFact `json:"tensors"`
	NonTensor      map[string]struct {
		Type string `json:"type"`
		Repr string `json:"repr"`
	} `json:"non_tensor_values"`
	ModuleClass    string                `json:"module_class"`
	Submodules     []string              `json:"submodules"`
	SubmoduleTypes map[string]string     `json:"submodule_types"`
	StateDict      map[string]tensorFact `json:"state_dict"`
	OriginalName   string                `json:"original_name"`
	Parameters     map[string]tensorFact `json:"parameters"`
	Buffers        map[string]tensorFact `json:"buffers"`
	Methods        []string              `json:"methods"`
	GraphNodes     int                   `json:"graph_node_count_forward"`
}

type entry struct {
	Path   string          `json:"path"`
	Format string          `json:"format"`
	Kind   string          `json:"kind"`
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
		if e.Format == "pytorch" {
			if err := json.Unmarshal(e.Raw, &e.Facts); err != nil {
				t.Fatalf("%s: %v", e.Path, err)
			}
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Fatal("no PyTorch files in the manifest")
	}
	return dir, out
}

func property(m *model.Model, name string) string {
	for _, p := range m.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func initializers(m *model.Model) map[string]*model.Tensor {
	out := map[string]*model.Tensor{}
	for _, t := range m.Graph.Initializers {
		out[t.Name] = t
	}
	return out
}

func checkTensor(t *testing.T, path, name string, got *model.Tensor, want tensorFact) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: tensor %s missing", path, name)
		return
	}
	if string(got.DType) != want.DType || !slices.Equal(got.Shape, want.Shape) {
		t.Errorf("%s: %s is %s%v, want %s%v", path, name, got.DType, got.Shape, want.DType, want.Shape)
	}
	if want.QScheme != "" && (got.Quant == nil || got.Quant.Scheme != want.QScheme) {
		t.Errorf("%s: %s quantization %+v, want scheme %s", path, name, got.Quant, want.QScheme)
	}
}

// checkLocations verifies that every located tensor lies inside the file,
// and that raw tensors span exactly their elements.
func checkLocations(t *testing.T, path string, size int64, m *model.Model) {
	t.Helper()
	for _, tn := range m.Graph.Initializers {
		l := tn.Location
		if l == nil {
			t.Errorf("%s: %s has no location", path, tn.Name)
			continue
		}
		if l.Offset < 0 || l.Length < 0 || l.Offset+l.Length > size {
			t.Errorf("%s: %s location %d+%d outside the file (%d bytes)", path, tn.Name, l.Offset, l.Length, size)
		}
		if l.Encoding == model.EncRaw {
			n, _ := model.NumElements(tn.Shape)
			es, _ := model.DTypeSize(tn.DType)
			if l.Length != n*int64(es) {
				t.Errorf("%s: %s raw length %d, want %d", path, tn.Name, l.Length, n*int64(es))
			}
		}
	}
}

func TestCorpusPickles(t *testing.T) {
	dir, entries := manifest(t)
	n := 0
	for _, e := range entries {
		if e.Kind != "pickle" {
			continue
		}
		n++
		t.Run(filepath.Base(e.Path), func(t *testing.T) {
			file := filepath.Join(dir, e.Path)
			head, _ := os.ReadFile(file)
			if Detect(head[:min(len(head), model.SniffLen)], e.Bytes) != model.Strong {
				t.Errorf("not detected as a strong match")
			}
			m, err := Open(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("warnings: %v", m.Warnings)
			}
			if got := property(m, "python type"); got != e.Facts.PythonType {
				t.Errorf("python type %q, want %q", got, e.Facts.PythonType)
			}
			globals := e.Facts.Globals
			if globals == nil {
				globals = e.Facts.LegacyGlobals
			}
			refs := property(m, "pickle references (never called)")
			for _, g := range globals {
				if !strings.Contains(refs, g) {
					t.Errorf("pickle references %q lack %s", refs, g)
				}
			}
			if e.Facts.IsZip && m.Version != e.Facts.ArchiveVersion {
				t.Errorf("version %q, want %q", m.Version, e.Facts.ArchiveVersion)
			}
			got := initializers(m)
			want := e.Facts.Tensors
			if e.Facts.StateDict != nil {
				want = e.Facts.StateDict
			}
			for name, f := range want {
				checkTensor(t, e.Path, name, got[name], f)
			}
			// Tensors beyond the manifest's are only allowed inside opaque
			// objects the manifest lists as non-tensor values.
			for name := range got {
				if _, ok := want[name]; ok {
					continue
				}
				ok := false
				for p, v := range e.Facts.NonTensor {
					if strings.HasPrefix(name, p+".") && !strings.HasPrefix(v.Type, "builtins.") {
						ok = true
					}
				}
				if !ok {
					t.Errorf("unexpected tensor %s", name)
				}
			}
			for p, v := range e.Facts.NonTensor {
				if v.Repr != "" && m.Metadata[p] != v.Repr {
					t.Errorf("value %s = %q, want %q", p, m.Metadata[p], v.Repr)
				}
			}
			checkLocations(t, e.Path, e.Bytes, m)
			if e.Facts.ModuleClass != "" {
				checkModule(t, file, e.Facts, m)
			}
			if len(m.Graph.Nodes) == 0 {
				t.Error("empty graph")
			}
		})
	}
	if n == 0 {
		t.Fatal("no pickle-kind files")
	}
}

// checkModule compares the module tree of a whole pickled module.
func checkModule(t *testing.T, file string, f facts, m *model.Model) {
	a, err := ziputil.Open(file, ziputil.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	data, err := a.ReadFile(a.Lookup(a.Root()+"/data.pkl"), 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pickle.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	w := newWalker()
	w.walk(res.Value, "", 0)
	var paths []string
	for _, mi := range w.modules {
		if mi.path == "" {
			if mi.class != f.ModuleClass {
				t.Errorf("root class %s, want %s", mi.class, f.ModuleClass)
			}
			continue
		}
		paths = append(paths, mi.path)
	}
	if !slices.Equal(paths, f.Submodules) {
		t.Errorf("submodules %v, want %v", paths, f.Submodules)
	}
	// Every leaf module is a node, named by its full path.
	nodes := map[string]string{}
	for _, n := range m.Graph.Nodes {
		nodes[n.Name] = n.OpType
	}
	for _, mi := range w.modules {
		if mi.leaf && nodes[mi.path] != shortClass(mi.class) {
			t.Errorf("node %s is %q, want %q", mi.path, nodes[mi.path], shortClass(mi.class))
		}
	}
	// The pickle records no data flow: modules are containers that
	// produce nothing, and the op histogram is empty.
	for _, n := range m.Graph.Nodes {
		if !n.Container || len(n.Outputs) > 0 {
			t.Errorf("node %s (%s) is drawn as an operation with outputs %v", n.Name, n.OpType, n.Outputs)
		}
	}
	if ops := model.Summarize(m).Ops; len(ops) > 0 {
		t.Errorf("op histogram %v of a module tree", ops)
	}
}

func TestLegacyStoragesFillTheFile(t *testing.T) {
	dir, entries := manifest(t)
	for _, e := range entries {
		if e.Facts.IsZip {
			continue
		}
		m, err := Open(context.Background(), filepath.Join(dir, e.Path))
		if err != nil {
			t.Fatal(err)
		}
		// Storages follow one another after the pickles: the last one
		// ends exactly at the end of the file, and none overlap.
		type span struct{ a, b int64 }
		var spans []span
		for _, tn := range m.Graph.Initializers {
			spans = append(spans, span{tn.Location.Offset, tn.Location.Offset + tn.Location.Length})
		}
		sort.Slice(spans, func(i, j int) bool { return spans[i].a < spans[j].a })
		for i := 1; i < len(spans); i++ {
			if spans[i].a < spans[i-1].b {
				t.Errorf("%s: storages overlap: %v", e.Path, spans[i-1:i+1])
			}
		}
		if last := spans[len(spans)-1].b; last != e.Bytes {
			t.Errorf("%s: last storage ends at %d, file is %d bytes", e.Path, last, e.Bytes)
		}
		if !strings.HasPrefix(m.Version, "legacy") {
			t.Errorf("version %q", m.Version)
		}
	}
}

func TestTiedStorages(t *testing.T) {
	dir, _ := manifest(t)
	m, err := Open(context.Background(), filepath.Join(dir, "pytorch/state_dict/gpt2_style_fp16_state_dict.pth"))
	if err != nil {
		t.Fatal(err)
	}
	ts := initializers(m)
	wte, head := ts["wte.weight"], ts["lm_head.weight"]
	if wte == nil || head == nil || *wte.Location != *head.Location {
		t.Fatalf("tied weights not at one location: %+v %+v", wte, head)
	}
	found := false
	for _, p := range wte.Extra {
		if p.Name == "shares storage with" && strings.Contains(p.Value, "lm_head.weight") {
			found = true
		}
	}
	if !found {
		t.Errorf("wte.weight does not say it shares storage: %v", wte.Extra)
	}
	// Views: offsets and strides.
	m, err = Open(context.Background(), filepath.Join(dir, "pytorch/state_dict/views_sharing_storage.pt"))
	if err != nil {
		t.Fatal(err)
	}
	ts = initializers(m)
	base, row := ts["base"], ts["row_slice"]
	if row.Location.Offset != base.Location.Offset+6*4 || row.Location.Encoding != model.EncRaw {
		t.Errorf("row_slice at %+v, base at %+v", row.Location, base.Location)
	}
	if ts["transposed"].Location.Encoding != model.EncOpaque {
		t.Errorf("non-contiguous view marked %s", ts["transposed"].Location.Encoding)
	}
}

func TestCorpusTorchScript(t *testing.T) {
	dir, entries := manifest(t)
	n := 0
	for _, e := range entries {
		if e.Kind != "torchscript" {
			continue
		}
		n++
		t.Run(filepath.Base(e.Path), func(t *testing.T) {
			file := filepath.Join(dir, e.Path)
			m, err := Open(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("warnings: %v", m.Warnings)
			}
			if m.Version != e.Facts.ArchiveVersion {
				t.Errorf("version %q, want %q", m.Version, e.Facts.ArchiveVersion)
			}
			got := initializers(m)
			kinds := map[string]string{}
			for name, tn := range got {
				for _, p := range tn.Extra {
					if p.Name == "kind" {
						kinds[name] = p.Value
					}
				}
			}
			for kind, want := range map[string]map[string]tensorFact{"parameter": e.Facts.Parameters, "buffer": e.Facts.Buffers} {
				for name, f := range want {
					checkTensor(t, e.Path, name, got[name], f)
					if kinds[name] != kind {
						t.Errorf("%s is a %q, want %s", name, kinds[name], kind)
					}
				}
				for name, k := range kinds {
					if _, ok := want[name]; k == kind && !ok {
						t.Errorf("unexpected %s %s", kind, name)
					}
				}
			}
			checkLocations(t, e.Path, e.Bytes, m)
			if got := property(m, "methods"); !strings.Contains(got, "forward") {
				t.Errorf("methods %q", got)
			}
			// Module tree and types.
			b := loadScript(t, file)
			var paths []string
			types := map[string]string{}
			for _, sm := range b.modules {
				if sm.path == "" {
					if shortClass(sm.clsName) != e.Facts.OriginalName {
						t.Errorf("root %s, want %s", sm.clsName, e.Facts.OriginalName)
					}
					continue
				}
				paths = append(paths, sm.path)
				types[sm.path] = shortClass(sm.clsName)
			}
			sort.Strings(paths)
			want := append([]string(nil), e.Facts.Submodules...)
			sort.Strings(want)
			if !slices.Equal(paths, want) {
				t.Errorf("submodules %v, want %v", paths, want)
			}
			for p, ty := range e.Facts.SubmoduleTypes {
				if types[p] != ty {
					t.Errorf("submodule %s is %s, want %s", p, types[p], ty)
				}
			}
			// The forward graph: it starts from the method's inputs, every
			// node input is produced by a node, a graph input or a weight,
			// and every weight of the module feeds some node.
			if len(m.Graph.Inputs) == 0 || len(m.Graph.Outputs) == 0 {
				t.Errorf("forward graph has inputs %v, outputs %v", m.Graph.Inputs, m.Graph.Outputs)
			}
			known := map[string]bool{}
			for _, v := range m.Graph.Inputs {
				known[v.Name] = true
			}
			for name := range got {
				known[name] = true
			}
			consumed := map[string]bool{}
			for _, nd := range m.Graph.Nodes {
				for _, in := range nd.Inputs {
					if !known[in] {
						t.Errorf("node %s reads %s before anything makes it", nd.Name, in)
					}
					consumed[in] = true
				}
				for _, out := range nd.Outputs {
					if known[out] {
						t.Errorf("value %s made twice", out)
					}
					known[out] = true
				}
			}
			for name := range got {
				if !consumed[name] {
					t.Errorf("weight %s feeds no node", name)
				}
			}
			if len(m.Graph.Nodes) < e.Facts.GraphNodes/4 {
				t.Errorf("only %d nodes drawn (TorchScript's own graph has %d)", len(m.Graph.Nodes), e.Facts.GraphNodes)
			}
		})
	}
	if n == 0 {
		t.Fatal("no TorchScript files")
	}
}

func loadScript(t *testing.T, file string) *scriptBuilder {
	t.Helper()
	za, err := ziputil.Open(file, ziputil.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer za.Close()
	a := &archive{Archive: za, root: za.Root() + "/"}
	data, err := a.read("data.pkl", 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pickle.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	classes, _ := readCode(a)
	b := &scriptBuilder{classes: classes, tensors: map[string]*model.Tensor{}, objTensor: map[*pickle.Object]string{},
		conv: &converter{file: file, locate: a.locator("data/")}}
	b.root = b.module(res.Value.(*pickle.Object), "", 0)
	return b
}

// TestLocationsHoldTheStorageBytes reads each raw tensor's bytes at its
// Location and compares them with the storage entry decompressed by
// archive/zip: the offsets point at the tensor's own data.
func TestLocationsHoldTheStorageBytes(t *testing.T) {
	dir, _ := manifest(t)
	for _, rel := range []string{"pytorch/state_dict/tiny_cnn_state_dict.pth", "pytorch/state_dict/views_sharing_storage.pt", "pytorch/torchscript/tiny_mlp_frozen.pt"} {
		path := filepath.Join(dir, rel)
		m, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		za, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		entries := map[string][]byte{}
		for _, f := range za.File {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			entries[f.Name] = b
		}
		za.Close()
		root := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + "/"
		checked := 0
		for _, tn := range m.Graph.Initializers {
			if tn.Location == nil || tn.Location.Encoding != model.EncRaw {
				continue
			}
			var key, off string
			for _, p := range tn.Extra {
				switch p.Name {
				case "storage":
					key, _, _ = strings.Cut(p.Value, " ")
				case "storage offset":
					off = p.Value
				}
			}
			dirName := "data/"
			if strings.HasPrefix(tn.Name, "CONSTANTS.") {
				dirName = "constants/"
			}
			entry := entries[root+dirName+key]
			o, _ := strconv.ParseInt(off, 10, 64)
			es, _ := model.DTypeSize(tn.DType)
			start := o * int64(es)
			want := entry[start : start+tn.Location.Length]
			got := file[tn.Location.Offset : tn.Location.Offset+tn.Location.Length]
			if !bytes.Equal(got, want) {
				t.Errorf("%s: %s bytes at its location differ from storage %s", rel, tn.Name, key)
			}
			checked++
		}
		if checked == 0 {
			t.Errorf("%s: no raw tensors checked", rel)
		}
	}
}
