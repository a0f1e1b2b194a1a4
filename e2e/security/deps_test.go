package security

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestNoDebugPackages checks that the modelpeek binary links no package
// that serves debug data over HTTP (net/http/pprof registers itself on
// DefaultServeMux just by being imported; expvar does the same).
func TestNoDebugPackages(t *testing.T) {
	gobin := testenv.LookPath(t, "go", "golang-go")
	cmd := exec.Command(gobin, "list", "-deps", ".")
	cmd.Dir = testenv.Root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed only %d packages", len(deps))
	}
	for _, d := range deps {
		switch d {
		case "net/http/pprof", "expvar", "golang.org/x/net/trace", "net/rpc", "net/http/cgi":
			t.Errorf("modelpeek links %s", d)
		}
	}
}
