package all

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// TestDetectCorpus checks that every corpus file is claimed by exactly the
// decoder of its MANIFEST format and by no other, by content alone, and
// that the registry opens it with that decoder.
func TestDetectCorpus(t *testing.T) {
	entries := loadManifest(t)
	reg := Registry()
	seen := map[string]int{}
	for _, e := range entries {
		want := registryFormat(e.Format)
		path := e.Abs()
		claims := claimsOf(t, reg, path, isDir(e))
		switch {
		case want == "" && len(claims) > 0:
			t.Errorf("%s (%s) is not a model file, but %v claim it", e.Path, e.Format, claims)
		case want != "" && (len(claims) != 1 || claims[0] != want):
			t.Errorf("%s: MANIFEST format %s, claimed by %v", e.Path, e.Format, claims)
		}
		f, err := reg.Detect(path)
		switch {
		case want == "":
			if !errors.Is(err, model.ErrUnknownFormat) {
				t.Errorf("%s: Detect = %q, %v; want %v", e.Path, f.Name, err, model.ErrUnknownFormat)
			}
		case err != nil:
			t.Errorf("%s: Detect: %v", e.Path, err)
		case f.Name != want:
			t.Errorf("%s: detected as %s, want %s", e.Path, f.Name, want)
		}
		seen[want]++
	}
	for _, f := range reg.Formats() {
		if seen[f.Name] == 0 {
			t.Errorf("no corpus file is detected as %s: the corpus or the registry changed", f.Name)
		}
	}
}

// claimsOf lists the formats whose Detect (DetectDir for a directory)
// claims the file at path.
func claimsOf(t *testing.T, reg *model.Registry, path string, dir bool) []string {
	t.Helper()
	var head []byte
	var size int64
	if !dir {
		head, size = readHead(t, path)
	}
	var claims []string
	for _, f := range reg.Formats() {
		c := model.No
		switch {
		case dir && f.DetectDir != nil:
			c = f.DetectDir(path)
		case !dir && f.Detect != nil:
			c = f.Detect(head, size)
		}
		if c != model.No {
			claims = append(claims, f.Name)
		}
	}
	return claims
}

// TestDetectIgnoresName checks that detection goes by content: each corpus
// file copied under a misleading name (another format's extension, .bin,
// no extension) still opens with its own decoder, as the .bin-named TFLite
// model in the corpus does.
func TestDetectIgnoresName(t *testing.T) {
	entries := loadManifest(t)
	reg := Registry()
	tmp := t.TempDir()
	names := []string{"model.bin", "model", "model.onnx", "model.gguf", "model.safetensors", "model.npy", "model.pt", "model.keras", "model.tflite"}
	byFormat := map[string]bool{}
	for _, e := range entries {
		want := registryFormat(e.Format)
		// One small file per format keeps this quick; sharded and
		// external-data files depend on their names and are left out.
		if want == "" || byFormat[want] || e.Bytes > 1<<20 || isDir(e) || len(e.Files) > 0 || strings.Contains(e.Path, "sharded") || strings.Contains(e.Path, "external_data") {
			continue
		}
		if e.Format == "tflite" && strings.Contains(e.Path, "broken") {
			continue
		}
		byFormat[want] = true
		data, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			p := variantFile(t, tmp, name, data)
			f, err := reg.Detect(p)
			if err != nil || f.Name != want {
				t.Errorf("%s saved as %s: detected as %q (%v), want %s", e.Path, name, f.Name, err, want)
			}
			os.Remove(p)
		}
	}
	// The corpus's own .bin-named TFLite model opens as TFLite.
	m, err := reg.Open(context.Background(), filepath.Join(testenv.Corpus(t), "tflite/litert/multi_add.bin"))
	if err != nil {
		t.Fatalf("multi_add.bin: %v", err)
	}
	if m.Format != "tflite" {
		t.Errorf("multi_add.bin opened as %s, want tflite", m.Format)
	}
}

// TestNotAModel checks that files that are not models, even when named
// like one, are refused with "not a model file I know" and never reach a
// decoder.
func TestNotAModel(t *testing.T) {
	reg := Registry()
	tmp := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"empty.onnx", nil},
		{"picture.png", pngBytes(t)},
		{"picture.onnx", pngBytes(t)},
		{"notes.txt", []byte("these are my notes about the model\nsecond line\n")},
		{"notes.gguf", []byte("these are my notes about the model\nsecond line\n")},
		{"page.html", []byte("<!doctype html><html><body><script>alert(1)</script></body></html>")},
		{"data.json", []byte(`{"name": "not a model", "values": [1, 2, 3]}`)},
		{"data.safetensors", []byte(`{"name": "not a model", "values": [1, 2, 3]}`)},
		{"archive.zip", zipBytes(t, map[string][]byte{"readme.txt": []byte("hello"), "src/main.go": []byte("package main")})},
		{"archive.pt", zipBytes(t, map[string][]byte{"readme.txt": []byte("hello")})},
		{"archive.keras", zipBytes(t, map[string][]byte{"readme.txt": []byte("hello")})},
		{"archive.npz", zipBytes(t, map[string][]byte{"readme.txt": []byte("hello")})},
		{"zeros.tflite", make([]byte, 4096)},
		{"ones.bin", bytes.Repeat([]byte{0xFF}, 4096)},
		{"script.sh", []byte("#!/bin/sh\nrm -rf /\n")},
		{"gzip.gz", []byte{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"elf.so", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 120)...)},
	}
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
			f.Close()
			cases = append(cases, struct {
				name string
				data []byte
			}{"test-binary.onnx", b})
		}
	}
	for _, c := range cases {
		p := variantFile(t, tmp, c.name, c.data)
		o := openChecked(reg, p, maxOpenTime)
		if o.problem != "" {
			t.Errorf("%s: %s", c.name, o.problem)
			continue
		}
		if !errors.Is(o.err, model.ErrUnknownFormat) {
			format := ""
			if o.m != nil {
				format = o.m.Format
			}
			t.Errorf("%s: Open = (%q, %v); want %q", c.name, format, o.err, model.ErrUnknownFormat)
		}
	}
	// Random bytes must not be mistaken for a model either; here a
	// decoder may claim them only to refuse them with an error.
	p := variantFile(t, tmp, "random.onnx", random)
	if o := openChecked(reg, p, maxOpenTime); o.problem != "" || o.err == nil {
		t.Errorf("64 KiB of random bytes: model %v, err %v, problem %q", o.m != nil, o.err, o.problem)
	}
	// A directory is not a model file.
	if _, err := reg.Open(context.Background(), tmp); err == nil {
		t.Error("opening a directory succeeded")
	}
}

// readHead reads what Detect sees of a file.
func readHead(t testing.TB, path string) ([]byte, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, model.SniffLen)
	n, _ := io.ReadFull(f, head)
	return head[:n], st.Size()
}

func pngBytes(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{255, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipBytes returns a zip archive holding files (stored in name order).
func zipBytes(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
