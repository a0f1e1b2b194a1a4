package pt2

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// nestedCond is a program whose cond branches nest depth deep.
func nestedCond(depth int) string {
	g := `{"inputs": [], "outputs": [], "nodes": [], "tensor_values": {}}`
	for range depth {
		g = `{"inputs": [], "outputs": [], "nodes": [{"target": "torch.ops.higher_order.cond", "inputs": [{"name": "true_fn", "arg": {"as_graph": {"name": "g", "graph": ` + g + `}}}], "outputs": [], "metadata": {}}], "tensor_values": {}}`
	}
	return `{"graph_module": {"graph": ` + g + `, "signature": {"input_specs": [], "output_specs": []}}, "schema_version": {"major": 8, "minor": 0}}`
}

// TestHostile opens crafted archives that must be refused with a clear
// "pt2:" error, without a panic and without large allocations.
func TestHostile(t *testing.T) {
	pt2 := func(program string) []byte {
		return zipBytes(t, stored("package/archive_format", "pt2"), stored("package/models/model.json", program))
	}
	bomb := zipBytes(t, stored("package/archive_format", "pt2"), entry{name: "package/models/model.json", data: bytes.Repeat([]byte{' '}, 8<<20)})
	cases := map[string][]byte{
		"no program":               zipBytes(t, stored("package/archive_format", "pt2"), stored("package/archive_version", "0")),
		"not JSON":                 pt2("{graph_module"),
		"program is a list":        pt2("[1, 2, 3]"),
		"union with two members":   pt2(strings.Replace(programJSON(), `{"as_tensor": {"name": "x"}}}]`, `{"as_tensor": {"name": "x"}, "as_int": 3}}]`, 1)),
		"cond nested 100 deep":     pt2(nestedCond(100)),
		"JSON nested 10^5 deep":    pt2(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
		"program deflated 8 MiB":   bomb,
		"truncated zip":            pt2Archive(t)[:200],
		"not a zip":                []byte("PK\x03\x04 but nothing else follows"),
		"node inputs not a list":   pt2(strings.Replace(programJSON(), `"inputs": [{"name": "self", "arg": {"as_tensor": {"name": "x"}}}]`, `"inputs": 7`, 1)),
		"old layout without graph": zipBytes(t, stored(oldProgram, `{"graph_module": {}}`)),
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	for name, data := range cases {
		_, err := Open(context.Background(), writeTemp(t, "h.pt2", data))
		switch {
		case err == nil:
			t.Errorf("%s: opened without error", name)
		case !strings.HasPrefix(err.Error(), "pt2: "):
			t.Errorf("%s: error %q does not name the format", name, err)
		default:
			t.Logf("%s: %v", name, err)
		}
	}
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew > 256<<20 {
		t.Errorf("hostile archives allocated %d MiB", grew>>20)
	}
}

// TestHostileWeights: weights configs that lie (paths outside the
// archive, offsets and sizes past the entry, pickled payloads) leave the
// weight unlocated or opaque, never out of bounds.
func TestHostileWeights(t *testing.T) {
	for name, cfg := range map[string]string{
		"path outside":   `{"config": {"w": {"path_name": "../../../etc/passwd", "use_pickle": false}}}`,
		"offset past":    `{"config": {"w": {"path_name": "weight_0", "use_pickle": false, "tensor_meta": {"dtype": 7, "sizes": [], "storage_offset": {"as_int": 9223372036854775807}}}}}`,
		"negative":       `{"config": {"w": {"path_name": "weight_0", "use_pickle": false, "tensor_meta": {"dtype": 7, "sizes": [], "storage_offset": {"as_int": -4}}}}}`,
		"pickled":        `{"config": {"w": {"path_name": "weight_0", "use_pickle": true}}}`,
		"config is junk": `[[[`,
	} {
		data := zipBytes(t, stored("package/archive_format", "pt2"), stored("package/models/model.json", programJSON()),
			stored("package/data/weights/weight_0", "0123456789abcdef"), stored("package/data/weights/model_weights_config.json", cfg))
		m, err := Open(context.Background(), writeTemp(t, "w.pt2", data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if l := m.Graph.Initializers[0].Location; l != nil && (l.Offset < 0 || l.Length < 0 || l.Offset+l.Length > int64(len(data))) {
			t.Errorf("%s: location %+v outside the %d-byte file", name, l, len(data))
		}
	}
}

// FuzzOpen checks that no archive makes the decoder panic, hang or place
// a weight outside the file. Run: go test -fuzz FuzzOpen ./model/pt2
func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "pt2") {
		if e.Bytes > 64<<10 {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(pt2Archive(f))
	f.Add(zipBytes(f, stored(oldProgram, programJSON()), entry{name: "serialized_state_dict.json", data: torchSaveZip(f), store: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		timer := time.AfterFunc(30*time.Second, func() { panic("open took more than 30s: a hang") })
		defer timer.Stop()
		m, err := decodeReader(context.Background(), bytes.NewReader(data), int64(len(data)), "/nonexistent/fuzz.pt2")
		if err != nil {
			return
		}
		model.Summarize(m)
		for _, w := range m.Graph.Initializers {
			if l := w.Location; l != nil && (l.Offset < 0 || l.Length < 0 || l.Offset+l.Length > int64(len(data))) {
				t.Fatalf("tensor %q located at %d+%d, past the %d-byte file", w.Name, l.Offset, l.Length, len(data))
			}
		}
	})
}

// TestUnionKeepsSubslice guards the assumption rawRef rests on: that
// encoding/json hands UnmarshalJSON a sub-slice of the input, which stays
// valid (a JSON implementation that reused a buffer would corrupt the
// kept values: then rawRef must copy).
func TestUnionKeepsSubslice(t *testing.T) {
	buf := []byte(`[{"as_tensor": {"name": "x"}, "as_int": null}, {"as_int": 7}]`)
	var us []union
	if err := json.Unmarshal(buf, &us); err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		i := bytes.Index(buf, u.Value)
		if i < 0 || len(u.Value) == 0 {
			t.Fatalf("member %s = %q", u.Kind, u.Value)
		}
		was := buf[i]
		buf[i] = '#'
		if u.Value[0] != '#' {
			t.Errorf("member %s is a copy, not a sub-slice of the input", u.Kind)
		}
		buf[i] = was
	}
}
