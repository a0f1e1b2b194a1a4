package pt2

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// TestWeightBytes checks that every weight of the valid manifest entries
// is located, and that each location holds the bytes of the zip entry (or
// the embedded torch.save storage) it comes from.
func TestWeightBytes(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "pt2") {
		if !e.Valid() {
			continue
		}
		m, err := Open(t.Context(), e.Abs())
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		data, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		contents := entryContents(t, data, 0)
		for _, w := range m.Graph.Initializers {
			l := w.Location
			if l == nil || l.Encoding != model.EncRaw {
				t.Errorf("%s: %s located at %+v, want raw bytes", e.Name(), w.Name, l)
				continue
			}
			got := data[l.Offset : l.Offset+l.Length]
			if !containsSub(contents, got) {
				t.Errorf("%s: %s: the located bytes are not inside any entry", e.Name(), w.Name)
			}
		}
	}
}

// entryContents returns the bytes of every entry, and of the entries of
// zips nested one level.
func entryContents(t *testing.T, data []byte, depth int) [][]byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, b)
		if depth == 0 {
			out = append(out, entryContents(t, b, 1)...)
		}
	}
	return out
}

func containsSub(all [][]byte, b []byte) bool {
	for _, c := range all {
		if bytes.Contains(c, b) {
			return true
		}
	}
	return false
}

// TestCrafted opens small archives built here: a PT2 archive (typed
// attributes, renamed parameter, located weight), the same with entries
// in other orders, and the torch.export.save layout with an embedded
// state dict.
func TestCrafted(t *testing.T) {
	data := pt2Archive(t)
	p := writeTemp(t, "m.pt2", data)
	m, err := Open(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	s := model.Summarize(m)
	if s.Nodes != 2 || s.Ops["torch.ops.aten.add.Tensor"] != 1 || m.Producer != "PyTorch 2.9.0" {
		t.Errorf("summary %+v, producer %q", s, m.Producer)
	}
	add := m.Graph.Nodes[1]
	if strings.Join(add.Inputs, ",") != "relu,w" || len(add.Attrs) != 1 || add.Attrs[0].Type != model.AttrFloat || add.Attrs[0].Float != 1.5 {
		t.Errorf("add node %+v", add)
	}
	w := m.Graph.Initializers[0]
	if w.Location == nil || string(data[w.Location.Offset:w.Location.Offset+w.Location.Length]) != "0123456789abcdef" {
		t.Errorf("weight location %+v", w.Location)
	}
	if s.Metadata["schema_version"] != "8.1" || s.Metadata["torch_version"] != "2.9.0" {
		t.Errorf("metadata %v", s.Metadata)
	}

	old := zipBytes(t, stored(oldProgram, programJSON()), entry{name: "serialized_state_dict.json", data: torchSaveZip(t), store: true}, stored("version", "1"))
	p = writeTemp(t, "old.pt2", old)
	m, err = Open(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	w = m.Graph.Initializers[0]
	if w.Location == nil || string(old[w.Location.Offset:w.Location.Offset+w.Location.Length]) != "ABCDEFGHIJKLMNOP" {
		t.Errorf("embedded state dict: weight location %+v (warnings %v)", w.Location, m.Warnings)
	}
	if md := model.Summarize(m).Metadata; md["archive"] != kindSave || md["archive_version"] != "1" {
		t.Errorf("old layout metadata %v", md)
	}
}

// TestCompressedWeights: deflated weight entries are located as opaque
// bytes (no preview), never read.
func TestCompressedWeights(t *testing.T) {
	cfg := `{"config": {"w": {"path_name": "weight_0", "is_param": true, "use_pickle": false, "tensor_meta": ` + tensorMetaJSON(4) + `}}}`
	data := zipBytes(t, stored("package/archive_format", "pt2"), stored("package/models/model.json", programJSON()),
		entry{name: "package/data/weights/weight_0", data: bytes.Repeat([]byte{1}, 16)},
		stored("package/data/weights/model_weights_config.json", cfg))
	m, err := Open(t.Context(), writeTemp(t, "c.pt2", data))
	if err != nil {
		t.Fatal(err)
	}
	if l := m.Graph.Initializers[0].Location; l == nil || l.Encoding != model.EncOpaque {
		t.Errorf("compressed weight located at %+v, want opaque", l)
	}
}

// TestAOTInductorPackage: a package with compiled artifacts and no
// program opens with an empty graph and says why.
func TestAOTInductorPackage(t *testing.T) {
	data := zipBytes(t, stored("package/archive_format", "pt2"), stored("package/archive_version", "0"),
		stored("package/data/aotinductor/model/model.so", "\x7fELF"), stored("package/data/aotinductor/model/model.cpp", "int main;"))
	m, err := Open(t.Context(), writeTemp(t, "aoti.pt2", data))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Nodes) != 0 || len(m.Warnings) == 0 {
		t.Errorf("AOTInductor package: %d nodes, warnings %v", len(m.Graph.Nodes), m.Warnings)
	}
}

// TestMultiModel: an archive with two programs shows "model" as the main
// graph and the other as a function; weights are found through the
// <name>_model_param_config.json spelling of the archive spec.
func TestMultiModel(t *testing.T) {
	cfg := `{"config": {"w": {"path_name": "weight_0", "is_param": true, "use_pickle": false, "tensor_meta": ` + tensorMetaJSON(4) + `}}}`
	data := zipBytes(t, stored("a/archive_format", "pt2"), stored("a/models/second.json", programJSON()), stored("a/models/model.json", programJSON()),
		stored("a/data/weights/weight_0", "0123456789abcdef"), stored("a/data/weights/model_model_param_config.json", cfg))
	m, err := Open(t.Context(), writeTemp(t, "multi.pt2", data))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Functions) != 1 || m.Functions[0].Name != "second" || len(m.Functions[0].Nodes) != 2 {
		t.Errorf("functions %+v", m.Functions)
	}
	if models := model.Summarize(m).Metadata["models"]; !slicesEqual(models, []string{"second", "model"}) {
		t.Errorf("models %v", models)
	}
	if m.Graph.Initializers[0].Location == nil {
		t.Errorf("weight not located through model_model_param_config.json")
	}
}

func slicesEqual(v any, want []string) bool {
	s, ok := v.([]string)
	return ok && strings.Join(s, ",") == strings.Join(want, ",")
}
