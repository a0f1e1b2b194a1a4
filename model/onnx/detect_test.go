package onnx

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

func sniffFile(t testing.TB, path string) content {
	t.Helper()
	head, size, err := model.ReadHead(path)
	if err != nil {
		t.Fatal(err)
	}
	return sniff(head, size)
}

// TestDetectCorpus checks detection on every corpus file: ONNX models are
// recognised, and files of the other formats are not taken for ONNX.
func TestDetectCorpus(t *testing.T) {
	dir := testenv.Corpus(t)
	models, others := 0, 0
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".md") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got := sniffFile(t, p)
		switch {
		case strings.HasSuffix(p, ".onnx"):
			models++
			if got != kindModel {
				t.Errorf("%s: not detected as an ONNX model", rel)
			}
		case strings.HasPrefix(rel, "onnx/"):
			// external data: raw floats
		default:
			others++
			if got != kindNone {
				t.Errorf("%s: taken for ONNX (%d)", rel, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d ONNX models detected, %d files of other formats refused", models, others)
}

// TestRegistryDetection checks the registry entry: a mis-named model
// still opens, a text file does not, and a tensor .pb opens as a tensor.
func TestRegistryDetection(t *testing.T) {
	dir := testenv.Corpus(t)
	var r model.Registry
	r.Register(Format())
	src, err := os.ReadFile(filepath.Join(dir, "onnx/torch/bigru.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	misnamed := writeTemp(t, "model.bin", src)
	m, err := r.Open(context.Background(), misnamed)
	if err != nil || m.Format != "onnx" || len(m.Graph.Nodes) == 0 {
		t.Fatalf("mis-named model: %v", err)
	}
	_, err = r.Open(context.Background(), filepath.Join(dir, "README.md"))
	if !errors.Is(err, model.ErrUnknownFormat) {
		t.Fatalf("README.md: err = %v, want ErrUnknownFormat", err)
	}
	requireDir(t, testdataDir)
	pb := filepath.Join(testdataDir, "data/node/test_abs/test_data_set_0/input_0.pb")
	m, err = r.Open(context.Background(), pb)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Initializers) != 1 || m.Graph.Initializers[0].DType != "float32" {
		t.Fatalf("tensor file: %+v", m.Graph)
	}
}

// TestSniff covers files from newer ONNX versions and random bytes.
func TestSniff(t *testing.T) {
	future := pbBytes(pbVarint(nil, modelIRVersion, 11), 26, []byte{0x0a, 0x00})
	future = pbBytes(future, 40, nil)
	future = pbBytes(future, modelGraph, pbString(nil, graphName, "g"))
	if got := sniff(future, int64(len(future))); got != kindModel {
		t.Errorf("model with newer fields: %d", got)
	}
	if _, err := decodeBytes(context.Background(), future, "/nonexistent/f.onnx"); err != nil {
		t.Errorf("model with newer fields: %v", err)
	}
	// Random data is hardly ever taken for ONNX.
	state := uint64(1)
	head := make([]byte, 4096)
	hits := 0
	for i := 0; i < 5000; i++ {
		for j := range head {
			state = state*6364136223846793005 + 1442695040888963407
			head[j] = byte(state >> 56)
		}
		if sniff(head, 1<<20) != kindNone {
			hits++
		}
	}
	t.Logf("%d of 5000 random 4 KiB heads taken for ONNX", hits)
	if hits > 2 {
		t.Errorf("%d of 5000 random files taken for ONNX", hits)
	}
	for _, b := range [][]byte{nil, {0}, {0x08}, []byte("hello world, not a model")} {
		if got := sniff(b, int64(len(b))); got != kindNone {
			t.Errorf("%q taken for ONNX", b)
		}
	}
}
