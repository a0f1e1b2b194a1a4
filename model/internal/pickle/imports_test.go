package pickle

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoExecution checks that the pickle reader and the formats built on
// it cannot run programs or load code: none of their (non-test) files
// import os/exec, plugin, syscall or unsafe.
func TestNoExecution(t *testing.T) {
	forbidden := map[string]bool{"os/exec": true, "plugin": true, "syscall": true, "unsafe": true}
	n := 0
	for _, dir := range []string{".", "../ziputil", "../../pytorch", "../../keras"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			n++
			for _, imp := range af.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); forbidden[p] {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d files checked", n)
	}
}
