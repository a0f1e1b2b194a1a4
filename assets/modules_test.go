package assets

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// importRE matches a static import's module path in the viewer's modules.
var importRE = regexp.MustCompile(`(?m)^import [^;]*? from '\./([\w.-]+\.js)';`)

// TestModulesPreloaded checks that every module main.js loads, directly or
// through other modules, exists and is preloaded by index.html, so that
// the browser fetches them all at once instead of one import level at a
// time.
func TestModulesPreloaded(t *testing.T) {
	index, err := fs.ReadFile(Web, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(index), `<script type="module" src="js/main.js">`) {
		t.Fatal("index.html does not load js/main.js as a module")
	}
	seen := map[string]bool{"main.js": true}
	todo := []string{"main.js"}
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		src, err := fs.ReadFile(Web, "js/"+name)
		if err != nil {
			t.Fatalf("module %s: %v", name, err)
		}
		for _, m := range importRE.FindAllStringSubmatch(string(src), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				todo = append(todo, m[1])
			}
		}
	}
	if len(seen) < 8 {
		t.Fatalf("found only %d modules from main.js: %v", len(seen), seen)
	}
	for name := range seen {
		if name != "main.js" && !strings.Contains(string(index), `<link rel="modulepreload" href="js/`+name+`">`) {
			t.Errorf("index.html does not preload js/%s", name)
		}
	}
}
