package all

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// sentinel is a float32 value no test model holds: finding it in a
// preview means a decoder read a file outside the model's folder.
const sentinel = float32(-31337.25)

// sentinelFile writes 64 sentinel float32 values, as raw data and as a
// one-tensor safetensors file.
func sentinelFile(t *testing.T, path string, safetensorsHeader bool) {
	t.Helper()
	var data []byte
	for range 64 {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(sentinel))
	}
	if safetensorsHeader {
		hdr := `{"w":{"dtype":"F32","shape":[64],"data_offsets":[0,256]}}`
		data = binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		data = append(data, hdr...)
		for range 64 {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(sentinel))
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// onnxExternal is a model with one float initializer of 64 values stored
// externally at location.
func onnxExternal(location string) []byte {
	var t []byte
	t = protowire.AppendTag(t, 1, protowire.VarintType)
	t = protowire.AppendVarint(t, 64)
	t = protowire.AppendTag(t, 2, protowire.VarintType)
	t = protowire.AppendVarint(t, 1) // FLOAT
	t = onnxField(t, 8, []byte("w"))
	entry := func(k, v string) []byte {
		e := onnxField(nil, 1, []byte(k))
		return onnxField(e, 2, []byte(v))
	}
	t = onnxField(t, 13, entry("location", location))
	t = onnxField(t, 13, entry("offset", "0"))
	t = onnxField(t, 13, entry("length", "256"))
	t = protowire.AppendTag(t, 14, protowire.VarintType)
	t = protowire.AppendVarint(t, 1) // EXTERNAL
	return onnxInitializer(t)
}

// TestCompanionPathsStayInside checks that paths named inside a model
// (ONNX external data locations, safetensors index shard names) cannot
// make modelpeek read a file outside the model's folder: the open fails
// or warns, and no tensor preview shows the outside file's values.
func TestCompanionPathsStayInside(t *testing.T) {
	reg := Registry()
	base := t.TempDir()
	outside := filepath.Join(base, "secret.bin")
	sentinelFile(t, outside, false)
	outsideST := filepath.Join(base, "secret.safetensors")
	sentinelFile(t, outsideST, true)

	type tc struct {
		name  string
		file  string
		data  []byte
		setup func(dir string)
		known string // see knownIssues; logged unless MODELPEEK_HOSTILE_STRICT=1
	}
	cases := []tc{
		{name: "onnx location ../secret.bin", file: "m.onnx", data: onnxExternal("../secret.bin")},
		{name: "onnx location absolute", file: "m.onnx", data: onnxExternal(outside)},
		{name: "onnx location sub/../../secret.bin", file: "m.onnx", data: onnxExternal("sub/../../secret.bin"), setup: func(dir string) { os.Mkdir(filepath.Join(dir, "sub"), 0o700) }},
		{name: "onnx location symlink escaping", file: "m.onnx", data: onnxExternal("link.bin"), setup: func(dir string) { os.Symlink(outside, filepath.Join(dir, "link.bin")) }},
		{name: "onnx location dir symlink escaping", file: "m.onnx", data: onnxExternal("d/secret.bin"), setup: func(dir string) { os.Symlink(base, filepath.Join(dir, "d")) }},
		{name: "safetensors index shard ../secret.safetensors", file: "model.safetensors.index.json",
			data: []byte(`{"metadata":{},"weight_map":{"w":"../secret.safetensors"}}`)},
		{name: "safetensors index shard absolute", file: "model.safetensors.index.json",
			data: []byte(`{"metadata":{},"weight_map":{"w":"` + outsideST + `"}}`)},
		{name: "safetensors index shard symlink escaping", file: "model.safetensors.index.json",
			data: []byte(`{"metadata":{},"weight_map":{"w":"link.safetensors"}}`), setup: func(dir string) { os.Symlink(outsideST, filepath.Join(dir, "link.safetensors")) },
			// The Hugging Face cache stores every shard as a symlink to
			// ../../blobs/<hash>: refusing symlinks that leave the folder
			// would break it. A product decision for the lead.
			known: "safetensors: index shards are opened by path, following symlinks out of the folder"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(base, "m"+string(rune('a'+i)))
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if c.setup != nil {
				c.setup(dir)
			}
			p := variantFile(t, dir, c.file, c.data)
			report := t.Errorf
			if c.known != "" && os.Getenv("MODELPEEK_HOSTILE_STRICT") != "1" {
				report = func(format string, args ...any) {
					t.Logf("KNOWN ISSUE ("+c.known+"): "+format, args...)
				}
			}
			m, err := reg.Open(context.Background(), p)
			if err != nil {
				if looksLikePanic(err) {
					t.Fatalf("decoder panicked: %v", firstLine(err))
				}
				t.Logf("refused: %s", firstLine(err))
				return
			}
			for _, f := range m.Files {
				if !inside(dir, f) {
					report("model lists a file outside its folder: %s", f)
				}
			}
			var tensors []*model.Tensor
			for _, g := range append([]*model.Graph{m.Graph}, m.Functions...) {
				tensors = append(tensors, g.Initializers...)
			}
			for _, tt := range tensors {
				if tt.Location == nil || tt.Location.Missing {
					continue
				}
				if !inside(dir, tt.Location.File) {
					report("tensor %q reads from %s, outside the model's folder", tt.Name, tt.Location.File)
				}
				pv, err := model.ReadPreview(tt, 8)
				if err == nil && len(pv.Values) > 0 && float32(pv.Values[0]) == sentinel {
					report("tensor %q preview shows the outside file's values (%s)", tt.Name, tt.Location.File)
				}
			}
			t.Logf("opened with warnings %q", m.Warnings)
		})
	}
}

// inside reports whether path lies in dir, symlinks resolved.
func inside(dir, path string) bool {
	d, err1 := filepath.EvalSymlinks(dir)
	p, err2 := filepath.EvalSymlinks(path)
	if err1 != nil || err2 != nil {
		// A path that does not resolve cannot be read either.
		return err2 != nil
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
