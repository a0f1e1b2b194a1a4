package assets

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/webbundle"
)

// TestBundleFresh checks that the embedded bundle.js is what the modules
// in web/js bundle to now: a module edited without go generate would
// otherwise never reach the page.
func TestBundleFresh(t *testing.T) {
	want, err := webbundle.Build("web")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(Web, webbundle.Output)
	if err != nil {
		t.Fatalf("%v: run go generate ./assets", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("web/%s is stale (%d bytes, the modules make %d): run go generate ./assets", webbundle.Output, len(got), len(want))
	}
}

// TestIndexLoadsBundle checks that the page loads the bundle as its one
// module and no module of web/js by itself (which would run a second
// copy of it beside the bundle's).
func TestIndexLoadsBundle(t *testing.T) {
	index, err := fs.ReadFile(Web, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(index)
	if !strings.Contains(page, `<script type="module" src="`+webbundle.Output+`"></script>`) {
		t.Fatalf("index.html does not load %s as a module", webbundle.Output)
	}
	if strings.Contains(page, `src="js/main.js"`) || strings.Contains(page, `rel="modulepreload"`) {
		t.Fatal("index.html still loads the modules one by one")
	}
}
