package keras

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// openNoPanic opens data as a file: an error or a model, never a panic
// (which Open would turn into an "internal error").
func openNoPanic(t *testing.T, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), path)
	if err != nil {
		if strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%d bytes: %v", len(data), err)
		}
		return
	}
	if m == nil || m.Graph == nil {
		t.Fatalf("%d bytes: nil model without error", len(data))
	}
	model.Summarize(m)
}

func TestTruncatedPrefixes(t *testing.T) {
	dir, _ := manifest(t)
	tmp := filepath.Join(t.TempDir(), "cut")
	for _, rel := range []string{"keras/churn_ann.h5", "keras/churn_ann.keras", "keras/dense_classifier_2019.h5"} {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		// Every prefix of the first 512 bytes (headers), then a sample.
		for n := 0; n < len(data); n++ {
			if n >= 512 {
				n += len(data) / 300
				if n >= len(data) {
					break
				}
			}
			openNoPanic(t, tmp, data[:n])
		}
	}
}

// TestCorruptedHDF5 flips bytes all over a real file: every variant must
// give an error or a model, quickly.
func TestCorruptedHDF5(t *testing.T) {
	dir, _ := manifest(t)
	data, err := os.ReadFile(filepath.Join(dir, "keras/dense_classifier_2019.h5"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "bad.h5")
	for i := 8; i < len(data) && i < 12000; i += 37 {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0xff
		if i+1 < len(bad) {
			bad[i+1] ^= 0x55
		}
		openNoPanic(t, tmp, bad)
	}
}

func FuzzKeras(f *testing.F) {
	dir, entries := manifest(f)
	for _, e := range entries {
		if e.Bytes > 70_000 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Path))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		openNoPanic(t, filepath.Join(t.TempDir(), "f.keras"), data)
	})
}

func BenchmarkOpenMobileNetH5(b *testing.B) {
	dir, _ := manifest(b)
	path := filepath.Join(dir, "keras/teachable_machine_mobilenet.h5")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
}
