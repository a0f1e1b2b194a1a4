package tflite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestDetectOtherFormats: no file of another format in the corpus is taken
// for TFLite, not even as Plausible.
func TestDetectOtherFormats(t *testing.T) {
	dir, all := manifest(t)
	checked := 0
	for _, e := range all {
		if e.Format == "tflite" {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Path))
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, model.SniffLen)
		n, _ := f.Read(head)
		st, _ := f.Stat()
		f.Close()
		if c := Detect(head[:n], st.Size()); c != model.No {
			t.Errorf("%s (%s) detected as TFLite (%v)", e.Path, e.Format, c)
		}
		checked++
	}
	if checked < 50 {
		t.Errorf("only %d files of other formats checked", checked)
	}
}
