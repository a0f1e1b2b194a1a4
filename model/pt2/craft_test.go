package pt2

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one zip entry of a crafted archive.
type entry struct {
	name  string
	data  []byte
	store bool
}

// zipBytes writes entries in order, stored or deflated.
func zipBytes(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.store {
			method = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func stored(name, data string) entry { return entry{name: name, data: []byte(data), store: true} }

// writeTemp writes data to a file in a fresh directory.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tensorMetaJSON is a float32 TensorMeta of the given sizes.
func tensorMetaJSON(sizes ...int) string {
	var s []string
	for _, n := range sizes {
		s = append(s, fmt.Sprintf(`{"as_int": %d}`, n))
	}
	return `{"dtype": 7, "sizes": [` + strings.Join(s, ",") + `], "requires_grad": false, "device": {"type": "cpu"}, "strides": [], "storage_offset": {"as_int": 0}, "layout": 7}`
}

// programJSON is a one-node program: y = relu(x) + w, w a parameter.
func programJSON() string {
	return `{"graph_module": {"graph": {
  "inputs": [{"as_tensor": {"name": "p_w"}}, {"as_tensor": {"name": "x"}}],
  "outputs": [{"as_tensor": {"name": "add"}}],
  "nodes": [
    {"target": "torch.ops.aten.relu.default", "inputs": [{"name": "self", "arg": {"as_tensor": {"name": "x"}}}], "outputs": [{"as_tensor": {"name": "relu"}}], "metadata": {}},
    {"target": "torch.ops.aten.add.Tensor", "inputs": [{"name": "self", "arg": {"as_tensor": {"name": "relu"}}}, {"name": "other", "arg": {"as_tensor": {"name": "p_w"}}}, {"name": "alpha", "arg": {"as_float": 1.5}}], "outputs": [{"as_tensor": {"name": "add"}}], "metadata": {}}],
  "tensor_values": {"p_w": ` + tensorMetaJSON(4) + `, "x": ` + tensorMetaJSON(4) + `, "relu": ` + tensorMetaJSON(4) + `, "add": ` + tensorMetaJSON(4) + `}},
 "signature": {"input_specs": [{"parameter": {"arg": {"name": "p_w"}, "parameter_name": "w"}}, {"user_input": {"arg": {"as_tensor": {"name": "x"}}}}],
   "output_specs": [{"user_output": {"arg": {"as_tensor": {"name": "add"}}}}]},
 "module_call_graph": []},
 "opset_version": {"aten": 10}, "range_constraints": {}, "schema_version": {"major": 8, "minor": 1}, "torch_version": "2.9.0"}`
}

// pt2Archive is a PT2 archive holding programJSON and its weight.
func pt2Archive(t testing.TB, first ...entry) []byte {
	cfg := `{"config": {"w": {"path_name": "weight_0", "is_param": true, "use_pickle": false, "tensor_meta": ` + tensorMetaJSON(4) + `}}}`
	es := append(first,
		stored("package/archive_format", "pt2"),
		stored("package/archive_version", "0"),
		stored("package/models/model.json", programJSON()),
		stored("package/data/weights/weight_0", "0123456789abcdef"),
		stored("package/data/weights/model_weights_config.json", cfg),
	)
	return zipBytes(t, es...)
}

// torchSaveZip is what torch.save writes for {"w": tensor(4 floats)}:
// archive/data.pkl referring to storage "0" in archive/data/0.
func torchSaveZip(t testing.TB) []byte {
	// protocol 2: {'w': _rebuild_tensor_v2(pers_id(('storage', FloatStorage, '0', 'cpu', 4)), 0, (4,), (1,), False, OrderedDict())}
	pkl := "\x80\x02}q\x00X\x01\x00\x00\x00wq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06K\x04tq\x07QK\x00K\x04\x85q\x08K\x01\x85q\x09\x89ccollections\nOrderedDict\nq\x0a)Rq\x0btq\x0cRq\x0ds."
	return zipBytes(t,
		stored("archive/data.pkl", pkl),
		stored("archive/data/0", "ABCDEFGHIJKLMNOP"),
		stored("archive/version", "3\n"),
	)
}
