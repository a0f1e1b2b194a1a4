package onnx

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestWindowedReading decodes corpus models through the sliding window
// used for big files and checks the result is the same as from memory.
func TestWindowedReading(t *testing.T) {
	dir, entries := loadManifest(t)
	for _, e := range entries {
		path := filepath.Join(dir, e.Path)
		whole, err := decodeFileLimit(context.Background(), path, false, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		windowed, err := decodeFileLimit(context.Background(), path, false, 0)
		if err != nil {
			t.Fatalf("%s through the window: %v", e.Path, err)
		}
		a, _ := json.Marshal(whole)
		b, _ := json.Marshal(windowed)
		if string(a) != string(b) {
			t.Errorf("%s: windowed decode differs", e.Path)
		}
	}
}
