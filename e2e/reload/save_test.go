package reload

import (
	"os"
	"path/filepath"
	"testing"
)

// A saver rewrites a model file the way one kind of program does.
type saver struct {
	name string
	// setup creates the model file in dir with data and returns the path
	// to give modelpeek.
	setup func(t *testing.T, dir string, data []byte) string
	// save replaces the file's content with data; it returns when the
	// last write, close or rename is done.
	save func(t *testing.T, file string, data []byte)
}

// savers are the rewrite patterns of issue 7.
var savers = []saver{
	{name: "rename", setup: plainFile, save: saveRename},
	{name: "truncate", setup: plainFile, save: saveInPlace},
	{name: "recreate", setup: plainFile, save: saveRecreate},
	{name: "symlink", setup: linkedFile, save: saveSymlinkSwap},
}

// plainFile writes dir/model.onnx.
func plainFile(t *testing.T, dir string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// linkedFile writes the data to a versioned file and returns the path of
// dir/model.onnx, a symbolic link to it.
func linkedFile(t *testing.T, dir string, data []byte) string {
	t.Helper()
	target := writeTemp(t, dir, "v-*.onnx", data)
	p := filepath.Join(dir, "model.onnx")
	if err := os.Symlink(filepath.Base(target), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeTemp writes data to a new file in dir named after pattern.
func writeTemp(t *testing.T, dir, pattern string, data []byte) string {
	t.Helper()
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// saveRename writes a temporary file beside file and renames it over
// file (editors, torch.onnx.export through a temp file).
func saveRename(t *testing.T, file string, data []byte) {
	t.Helper()
	tmp := writeTemp(t, filepath.Dir(file), ".model-*.tmp", data)
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

// saveInPlace truncates file and writes the new content into it.
func saveInPlace(t *testing.T, file string, data []byte) {
	t.Helper()
	writeInPlace(t, file, data)
}

func writeInPlace(t *testing.T, file string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// saveRecreate deletes file and creates it again.
func saveRecreate(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// saveSymlinkSwap writes a new versioned file and atomically retargets
// the symbolic link file to it (a new link renamed over the old one).
func saveSymlinkSwap(t *testing.T, file string, data []byte) {
	t.Helper()
	dir := filepath.Dir(file)
	target := writeTemp(t, dir, "v-*.onnx", data)
	link := filepath.Join(dir, ".model-link.tmp")
	if err := os.Symlink(filepath.Base(target), link); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(link, file); err != nil {
		t.Fatal(err)
	}
}
