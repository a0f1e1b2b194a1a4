package tflite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// FuzzTFLite decodes arbitrary bytes as a TFLite model. Seeds: the small
// corpus files and models built with the flatbuffers builder. There is no
// recover here: a panic fails the run.
func FuzzTFLite(f *testing.F) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "tflite")
	for _, sub := range []string{"litert", "tflite-micro"} {
		paths, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		for _, p := range paths {
			if st, err := os.Stat(p); err != nil || st.Size() > 32<<10 {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(simpleModel().build())
	f.Add(controlModel().build())
	f.Add([]byte("\x18\x00\x00\x00TFL3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := decodeBytes(data, "/fuzz.tflite")
		if err != nil {
			return
		}
		s := model.Summarize(out.m)
		if s.Nodes < len(out.m.Graph.Nodes) {
			t.Fatalf("summary counts %d nodes, the main graph has %d", s.Nodes, len(out.m.Graph.Nodes))
		}
	})
}
