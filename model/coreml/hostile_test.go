package coreml

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

type protoNum = protowire.Number

func msg(num protowire.Number, content []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, content)
}

func varintField(num protowire.Number, v uint64) []byte {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// spec wraps a model type field into a Model with specificationVersion 4.
func specWith(typeNum protowire.Number, body []byte) []byte {
	return append(varintField(1, 4), msg(typeNum, body)...)
}

// nestedPipelines is a pipeline whose only member is a pipeline, depth
// times over.
func nestedPipelines(depth int) []byte {
	inner := specWith(602, nil)
	for range depth {
		inner = specWith(typePipeline, msg(1, inner))
	}
	return inner
}

// nestedLoops is a neural network whose only layer is a loop whose body is
// such a network, depth times over.
func nestedLoops(depth int) []byte {
	var net []byte
	for range depth {
		layer := append(msg(1, []byte("l")), msg(615, msg(4, net))...)
		net = msg(1, layer)
	}
	return specWith(typeNN, net)
}

// emptyLayers is a neural network of n empty layers.
func emptyLayers(n int) []byte {
	net := make([]byte, 0, 2*n)
	for range n {
		net = append(net, 0x0a, 0x00)
	}
	return specWith(typeNN, net)
}

func decodeBytes(t testing.TB, b []byte) (*model.Model, error) {
	d := &decoder{ctx: t.Context(), src: bytesSource(b), path: "/nonexistent/fuzz.mlmodel"}
	return d.decodeModel()
}

// TestHostileSpecs opens crafted specs: each must be refused with a clear
// coreml error, fast, without exhausting memory.
func TestHostileSpecs(t *testing.T) {
	corpus, err := os.ReadFile(filepath.Join(testenv.Corpus(t), "coreml", "nn_classifier_iris.mlmodel"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"pipelines nested 1000 deep": nestedPipelines(1000),
		"loops nested 1000 deep":     nestedLoops(1000),
		"truncated":                  corpus[:len(corpus)/2],
		"length past the end":        append(varintField(1, 4), 0x12, 0xff, 0xff, 0x03),
		"no model type":              append(varintField(1, 4), msg(2, nil)...),
		"huge varint length":         append(varintField(1, 4), 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	}
	dir := t.TempDir()
	for name, b := range cases {
		p := filepath.Join(dir, "a.mlmodel")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int64{wholeFileLimit, 0} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := openSpecFile(t.Context(), p, limit)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Errorf("%s (window %v): accepted", name, limit == 0)
			} else if msg := err.Error(); len(msg) > 300 || strings.Contains(msg, "\n") {
				t.Errorf("%s: error is not one short line: %.400s", name, msg)
			}
			if took > 5*time.Second || after.TotalAlloc-before.TotalAlloc > 256<<20 {
				t.Errorf("%s: took %v, allocated %d MiB", name, took, (after.TotalAlloc-before.TotalAlloc)>>20)
			}
		}
	}
	if _, err := Open(t.Context(), filepath.Join(dir, "a.mlmodel")); err == nil || !strings.HasPrefix(err.Error(), "coreml: ") {
		t.Errorf("error %v does not name the format", err)
	}
}

// TestStructureBudget checks that a network of empty layers stops at the
// decoded-structure budget (here lowered to 1 MiB).
func TestStructureBudget(t *testing.T) {
	data := emptyLayers(10_000)
	d := &decoder{ctx: t.Context(), src: bytesSource(data), path: "/nonexistent/a.mlmodel", budget: 1 << 20}
	if _, err := d.decodeModel(); err == nil || !strings.Contains(err.Error(), "too many layers") {
		t.Fatalf("err %v", err)
	}
	d = &decoder{ctx: t.Context(), src: bytesSource(data), path: "/nonexistent/a.mlmodel", budget: 4 << 20}
	if m, err := d.decodeModel(); err != nil || len(m.Graph.Nodes) != 10_000 {
		t.Fatalf("under the budget: %v", err)
	}
}

// copyPackage copies a corpus .mlpackage into a temporary folder.
func copyPackage(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(testenv.Corpus(t), "coreml", name)
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestHostilePackages checks manifests pointing outside the package, and
// weight blobs that are missing, damaged or outside the package.
func TestHostilePackages(t *testing.T) {
	for name, manifest := range map[string]string{
		"root escapes":  `{"itemInfoEntries": {"a": {"path": "../../../etc/passwd"}}, "rootModelIdentifier": "a"}`,
		"root missing":  `{"itemInfoEntries": {}, "rootModelIdentifier": "a"}`,
		"root is a dir": `{"itemInfoEntries": {"a": {"path": "com.apple.CoreML"}}, "rootModelIdentifier": "a"}`,
		"not JSON":      `{"itemInfoEntries": `,
		"deep JSON":     strings.Repeat("[", 100000),
	} {
		dir := copyPackage(t, "mlp_program.mlpackage")
		writeFile(t, filepath.Join(dir, "Manifest.json"), []byte(manifest))
		if _, err := Open(t.Context(), dir); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// a damaged weight file still opens, with warnings and unreadable tensors
	dir := copyPackage(t, "mlp_program.mlpackage")
	writeFile(t, filepath.Join(dir, "Data", "com.apple.CoreML", "weights", "weight.bin"), []byte("short"))
	m, err := Open(t.Context(), dir)
	if err != nil || len(m.Warnings) == 0 {
		t.Fatalf("damaged weights: %v, warnings %v", err, m.Warnings)
	}
	// a weight file linked from outside the package is not followed
	outside := filepath.Join(t.TempDir(), "secret.bin")
	writeFile(t, outside, blobFileBytes(make([]float32, 64)))
	wb := filepath.Join(dir, "Data", "com.apple.CoreML", "weights", "weight.bin")
	os.Remove(wb)
	if err := os.Symlink(outside, wb); err != nil {
		t.Skip("no symlinks here")
	}
	m, err = Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range m.Graph.Initializers {
		if ts.Location != nil && ts.Location.Encoding != model.EncOpaque {
			t.Errorf("tensor %s located through a link leaving the package: %+v", ts.Name, ts.Location)
		}
	}
}

// TestBlobPathEscapes checks that a BlobFileValue naming a file outside
// the model folder is not opened.
func TestBlobPathEscapes(t *testing.T) {
	d := &decoder{ctx: t.Context(), src: bytesSource(nil), path: filepath.Join(t.TempDir(), "model.mlmodel")}
	for _, name := range []string{"@model_path/../../etc/passwd", "/etc/passwd", "weights/weight.bin", "@model_path//etc/passwd"} {
		if b := d.openBlob(name); b.err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	d.closeBlobs()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestWeightsNotRead checks that a big spec is decoded through the window
// without its weight bytes being read.
func TestWeightsNotRead(t *testing.T) {
	weights := msg(20, msg(1, make([]byte, 8<<20))) // innerProduct weights: 2M floats
	layer := cat(strField(1, "fc"), strField(2, "x"), strField(3, "y"), msg(140, weights))
	data := specWith(typeNN, msg(1, layer))
	cr := &countingReader{r: bytes.NewReader(data)}
	src, err := newSource(cr, int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	d := &decoder{ctx: t.Context(), src: src, path: "/nonexistent/big.mlmodel"}
	m, err := d.decodeModel()
	if err != nil {
		t.Fatal(err)
	}
	w := m.Graph.Initializers[0]
	if w.Name != "fc/weights" || w.Shape[0] != 2<<20 || w.Location.Length != 8<<20 {
		t.Fatalf("weights %+v %+v", w, w.Location)
	}
	if cr.n > 256<<10 {
		t.Errorf("read %d bytes of an %d-byte file", cr.n, len(data))
	}
}
