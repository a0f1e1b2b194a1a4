package assets

import (
	"bytes"
	"io/fs"
	"testing"
)

func TestWebHasIndex(t *testing.T) {
	b, err := fs.ReadFile(Web, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("<html")) {
		t.Fatalf("index.html does not look like HTML: %.80q", b)
	}
}
