package model

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testRegistry has two fake formats: "fake" (magic "FAKE") and "other".
func testRegistry(extra ...Format) *Registry {
	r := &Registry{}
	r.Register(Format{
		Name:       "fake",
		Extensions: []string{".fake"},
		Detect: func(head []byte, _ int64) Confidence {
			if strings.HasPrefix(string(head), "FAKE") {
				return Strong
			}
			return No
		},
		Open: func(ctx context.Context, path string) (*Model, error) {
			f, _, err := OpenFile(path)
			if err != nil {
				return nil, err
			}
			f.Close()
			return &Model{}, nil
		},
	})
	r.Register(Format{Name: "other", Extensions: []string{".oth", ".other"}, Detect: func([]byte, int64) Confidence { return No }})
	for _, f := range extra {
		r.Register(f)
	}
	return r
}

func writeBytes(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A missing file is named once, with the path as given, and the error
// still matches fs.ErrNotExist.
func TestOpenMissingNamesPathOnce(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.fake")
	for _, arg := range []string{p, "no-such-dir/typo.fake"} {
		_, err := testRegistry().Open(context.Background(), arg)
		if err == nil {
			t.Fatalf("Open(%s) succeeded", arg)
		}
		if want := arg + ": no such file"; err.Error() != want {
			t.Errorf("Open(%s) = %q, want %q", arg, err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%s) = %v, not fs.ErrNotExist", arg, err)
		}
		_, err = testRegistry().Detect(arg)
		if err == nil || strings.Count(err.Error(), "typo.fake")+strings.Count(err.Error(), "m.fake") != 1 {
			t.Errorf("Detect(%s) = %v, want the path named once", arg, err)
		}
	}
}

func TestOpenDirectoryIsNotAModel(t *testing.T) {
	dir := t.TempDir()
	_, err := testRegistry().Open(context.Background(), dir)
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("Open(dir) = %v, want ErrUnknownFormat", err)
	}
	if n := strings.Count(err.Error(), filepath.Base(dir)); n != 1 {
		t.Errorf("Open(dir) = %q names the directory %d times", err, n)
	}
}

func TestUnknownFormatListsSupported(t *testing.T) {
	p := writeBytes(t, "x.bin", []byte{0, 1, 2, 3, 0xff, 0xfe, 0, 0})
	_, err := testRegistry().Open(context.Background(), p)
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("Open = %v, want ErrUnknownFormat", err)
	}
	want := "x.bin: not a model file I know; modelpeek reads fake, other"
	if err.Error() != want {
		t.Errorf("Open = %q, want %q", err, want)
	}
}

func TestHints(t *testing.T) {
	et := append([]byte{0x1c, 0, 0, 0}, "ET12"...)
	et = append(et, make([]byte, 24)...)
	cases := []struct {
		name string
		data []byte
		hint string // "" for no hint
	}{
		{"model.pte", et, "this looks like an ExecuTorch program (.pte), which modelpeek does not read yet"},
		{"saved_model.pb", []byte{0x08, 0x01, 0x12, 0x00, 0x80}, "this looks like a TensorFlow SavedModel, which modelpeek does not read yet"},
		{"llama.bin", append([]byte("tjgg"), 1, 0, 0, 0, 0x80), "this looks like a GGML model file from before GGUF (ggml, ggmf or ggjt), which modelpeek does not read yet"},
		{"README.md", []byte("# My model\n\nA résumé of it.\n"), "this is a text file"},
		{"model.onnx", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"), "this is a Git LFS pointer, not the model itself (fetch it with git lfs pull)"},
		{"model.onnx", []byte("\n<!DOCTYPE html><html><body>Sign in</body></html>"), "this is an HTML page, not a model (a download that went wrong?)"},
		{"empty.onnx", nil, "the file is empty"},
		// Not text (a control byte), no known magic: no hint, and no guess.
		{"blob.dat", []byte("abc\x01def"), ""},
		// "ET" and non-digits at 4..8 is no ExecuTorch identifier.
		{"x.bin", []byte("\x00\x00\x00\x00ETAB\x00\x00"), ""},
	}
	for _, c := range cases {
		p := writeBytes(t, c.name, c.data)
		_, err := testRegistry().Open(context.Background(), p)
		var ue *UnknownFormatError
		if !errors.As(err, &ue) {
			t.Errorf("%s: Open = %v, want an UnknownFormatError", c.name, err)
			continue
		}
		if ue.Hint != c.hint {
			t.Errorf("%s: hint %q, want %q", c.name, ue.Hint, c.hint)
		}
		if c.hint != "" && !strings.Contains(err.Error(), c.hint) {
			t.Errorf("%s: error %q lacks the hint", c.name, err)
		}
	}
}

func TestSavedModelDirHint(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "saved_model.pb"), []byte{8, 1}, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := testRegistry().Open(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "a directory, not a model I know: this looks like a TensorFlow SavedModel") {
		t.Errorf("Open(SavedModel dir) = %v", err)
	}
}

// A registered decoder always wins over a hint: it opens the file, and
// when it does not recognise a file, the hint that would name its format
// as unsupported is not given.
func TestRegisteredDecoderBeatsHint(t *testing.T) {
	et := append([]byte{0x1c, 0, 0, 0}, "ET12"...)
	p := writeBytes(t, "model.pte", append(et, make([]byte, 24)...))
	opened := Format{
		Name: "executorch", Extensions: []string{".pte"},
		Detect: func(head []byte, _ int64) Confidence {
			if len(head) >= 8 && string(head[4:8]) == "ET12" {
				return Strong
			}
			return No
		},
		Open: func(context.Context, string) (*Model, error) { return &Model{}, nil },
	}
	m, err := testRegistry(opened).Open(context.Background(), p)
	if err != nil || m.Format != "executorch" {
		t.Fatalf("Open with an ExecuTorch decoder = %v, %v", m, err)
	}
	// The decoder is registered under another name but claims .pte.
	refuses := Format{Name: "et", Extensions: []string{".pte"}, Detect: func([]byte, int64) Confidence { return No }}
	_, err = testRegistry(refuses).Open(context.Background(), p)
	var ue *UnknownFormatError
	if !errors.As(err, &ue) || ue.Hint != "" {
		t.Errorf("Open with a decoder that refuses the file = %v; want no hint", err)
	}
	// A TensorFlow decoder voids the SavedModel hint.
	tf := Format{Name: "tensorflow", Detect: func([]byte, int64) Confidence { return No }}
	p = writeBytes(t, "saved_model.pb", []byte{8, 1})
	_, err = testRegistry(tf).Open(context.Background(), p)
	if !errors.As(err, &ue) || ue.Hint != "" {
		t.Errorf("Open(saved_model.pb) with a TensorFlow decoder registered = %v; want no hint", err)
	}
}

func TestIsText(t *testing.T) {
	// A rune cut at the end of the sniffed head is still text.
	if !isText([]byte("héllo")[:2]) {
		t.Error("a cut rune made text binary")
	}
	if isText([]byte{'a', 0xff, 'b'}) {
		t.Error("invalid UTF-8 taken for text")
	}
}
