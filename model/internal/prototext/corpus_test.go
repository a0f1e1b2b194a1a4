package prototext

import (
	"os"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestCorpusText parses every text-format file of the shared manifests
// (.pbtxt, .prototxt): the valid ones must parse, the broken ones fail.
func TestCorpusText(t *testing.T) {
	n := 0
	for _, e := range testenv.Manifests(t) {
		if !strings.HasSuffix(e.Path, ".pbtxt") && !strings.HasSuffix(e.Path, ".prototxt") {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(b)
		switch {
		case e.Valid() && err != nil:
			t.Errorf("%s: %v", e.Name(), err)
		case !e.Valid() && err == nil:
			t.Logf("%s: broken on purpose, but its syntax parses", e.Name())
		}
		n++
	}
	t.Logf("%d text files parsed", n)
}
