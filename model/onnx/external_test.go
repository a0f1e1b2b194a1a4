package onnx

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// externalTensor is a TensorProto of n float32 values stored externally.
func externalTensor(name string, n int, kv ...string) []byte {
	t := pbVarint(nil, tensorDims, uint64(n))
	t = pbVarint(t, tensorDataType, 1)
	t = pbString(t, tensorName, name)
	for i := 0; i+1 < len(kv); i += 2 {
		t = pbBytes(t, tensorExternalData, pbString(pbString(nil, 1, kv[i]), 2, kv[i+1]))
	}
	return pbVarint(t, tensorDataLocation, 1)
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	// weights.bin: 4 floats of padding, then 1.5, -2, 3.25
	w := make([]byte, 28)
	for i, v := range []float32{0, 0, 0, 0, 1.5, -2, 3.25} {
		binary.LittleEndian.PutUint32(w[4*i:], math.Float32bits(v))
	}
	must(t, os.WriteFile(filepath.Join(dir, "weights.bin"), w, 0o644))
	must(t, os.WriteFile(filepath.Join(outside, "secret.bin"), w, 0o644))
	must(t, os.Symlink(filepath.Join(outside, "secret.bin"), filepath.Join(dir, "link.bin")))
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))

	var g []byte
	add := func(tn []byte) { g = pbBytes(g, graphInitializer, tn) }
	add(externalTensor("good", 3, "location", "weights.bin", "offset", "16", "length", "12"))
	add(externalTensor("good_no_length", 3, "location", "sub/../weights.bin", "offset", "16"))
	add(externalTensor("parent", 3, "location", "../"+filepath.Base(outside)+"/secret.bin"))
	add(externalTensor("absolute", 3, "location", filepath.Join(outside, "secret.bin")))
	add(externalTensor("symlink", 3, "location", "link.bin"))
	add(externalTensor("missing", 3, "location", "missing.bin"))
	add(externalTensor("past_end", 3, "location", "weights.bin", "offset", "100"))
	add(externalTensor("too_long", 3, "location", "weights.bin", "offset", "16", "length", "400"))
	add(externalTensor("bad_offset", 3, "location", "weights.bin", "offset", "-4"))
	path := filepath.Join(dir, "m.onnx")
	must(t, os.WriteFile(path, pbBytes(modelHeader(), modelGraph, g), 0o644))

	m, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*model.Tensor{}
	for _, tn := range m.Graph.Initializers {
		byName[tn.Name] = tn
	}
	for _, name := range []string{"good", "good_no_length"} {
		tn := byName[name]
		if tn.Location.Missing || tn.Location.File != filepath.Join(dir, "weights.bin") || tn.Location.Offset != 16 || tn.Location.Length != 12 {
			t.Errorf("%s: location %+v", name, tn.Location)
			continue
		}
		p, err := model.ReadPreview(tn, 10)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(p.Values) != 3 || p.Values[0] != 1.5 || p.Values[1] != -2 || p.Values[2] != 3.25 || p.Min != -2 || p.Max != 3.25 {
			t.Errorf("%s: preview %+v", name, p)
		}
	}
	for _, name := range []string{"parent", "absolute", "symlink", "missing", "past_end", "too_long", "bad_offset"} {
		tn := byName[name]
		if tn.Location == nil || !tn.Location.Missing {
			t.Errorf("%s: location %+v, want Missing", name, tn.Location)
		}
		if _, err := model.ReadPreview(tn, 10); err == nil {
			t.Errorf("%s: previewed data it should not read", name)
		}
	}
	if len(m.Files) != 2 || m.Files[1] != filepath.Join(dir, "weights.bin") {
		t.Errorf("files %v", m.Files)
	}
	joined := strings.Join(m.Warnings, "\n")
	for _, want := range []string{"outside the model's folder", "missing.bin\" is missing", "past the end", "runs past the end", "link.bin", "not a valid number"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no warning mentioning %q in:\n%s", want, joined)
		}
	}
	t.Logf("warnings:\n%s", joined)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
