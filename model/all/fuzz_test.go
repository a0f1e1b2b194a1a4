package all

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzNames are the file names a fuzz input is saved under; the name only
// breaks detection ties, but companions (external data, shards) are
// looked up from it.
var fuzzNames = []string{
	"model.onnx", "model.tflite", "model.gguf", "model.safetensors", "model.npy",
	"model.npz", "model.pt", "model.pth", "model.keras", "model.h5", "model.bin",
	"model.safetensors.index.json",
}

// FuzzOpen opens arbitrary bytes through the whole registry: an error or a
// usable model, never a panic (recovered or not), in bounded time and
// memory. Seeded from the corpus (whole files up to 64 KiB, the first
// 4 KiB of bigger ones) and the small crafted attacks. Run it with
//
//	go test ./model/all -run '^$' -fuzz FuzzOpen -fuzztime 60s
func FuzzOpen(f *testing.F) {
	for _, e := range loadManifest(f) {
		if isDir(e) {
			continue
		}
		data, err := os.ReadFile(e.Abs())
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 64<<10 {
			data = data[:4<<10]
		}
		f.Add(data, nameIndex(filepath.Base(e.Path)))
	}
	for _, a := range attacks() {
		// Bombs and million-deep files are megabytes: not fuzz seeds.
		if strings.Contains(a.name, "bomb") || strings.Contains(a.name, "10^") || strings.Contains(a.name, "deflated") {
			continue
		}
		if data := a.build(f); len(data) <= 64<<10 {
			f.Add(data, nameIndex(a.file))
		}
	}
	reg := Registry()
	f.Fuzz(func(t *testing.T, data []byte, name uint8) {
		p := variantFile(t, t.TempDir(), fuzzNames[int(name)%len(fuzzNames)], data)
		o := openChecked(reg, p, 5*time.Second)
		if o.problem != "" {
			if owner := knownIssue(o.problem); owner != "" {
				t.Skipf("known issue (%s): %s", owner, o.problem)
			}
			t.Fatal(o.problem)
		}
	})
}

// nameIndex returns the fuzzNames index whose extension matches base.
func nameIndex(base string) uint8 {
	best := len(fuzzNames) - 2 // model.bin
	for i, n := range fuzzNames {
		ext := n[len("model"):]
		if len(base) >= len(ext) && base[len(base)-len(ext):] == ext {
			best = i
		}
	}
	return uint8(best)
}
