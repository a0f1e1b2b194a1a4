package all

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestParserImports checks that no decoder package can execute programs,
// reach the network, load plugins or step around memory safety: the
// imports a parser of untrusted files must never need.
func TestParserImports(t *testing.T) {
	gobin := testenv.LookPath(t, "go", "golang-go")
	cmd := exec.Command(gobin, "list", "-f", "{{.ImportPath}}:{{range .Imports}} {{.}}{{end}}", "./model/...")
	cmd.Dir = testenv.Root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := map[string]bool{"unsafe": true, "C": true, "os/exec": true, "net": true, "net/http": true, "plugin": true, "syscall": true}
	pkgs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		pkgs++
		for _, imp := range strings.Fields(imports) {
			if forbidden[imp] {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
	if pkgs < 8 {
		t.Errorf("go list found only %d model packages", pkgs)
	}
}
