package web

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestSignatureSelector opens a TFLite model with three signatures (add,
// mul, sub: one subgraph each), switches to "sub" in the graph selector and
// sees its SUB node drawn; the model panel lists every signature.
func TestSignatureSelector(t *testing.T) {
	lib := fixture.NewLibrary()
	id := lib.OpenFile(context.Background(), filepath.Join(testenv.Corpus(t), "tflite/litert/multi_signature_model.tflite"))
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id)
	waitGraph(t, ctx, 30*time.Second, func(s graphState) bool {
		var n int
		evalErr(ctx, 5*time.Second, `document.querySelectorAll('#graph-select option').length`, &n)
		return s.State == "ready" && n == 3
	})
	var labels []string
	eval(t, ctx, `[...document.querySelectorAll('#graph-select option')].map((o) => o.textContent)`, &labels)
	t.Logf("graph selector: %q", labels)
	if ops := drawnOps(t, ctx); len(ops) != 1 || ops[0] != "ADD" {
		t.Fatalf("main graph ops %q, want [ADD]", ops)
	}
	// Choose the option whose signature is "sub".
	eval(t, ctx, `(() => { const s = document.getElementById('graph-select');
	  const o = [...s.options].find((o) => o.textContent.startsWith('sub '));
	  s.value = o.value; s.dispatchEvent(new Event('change')); return o.value; })()`, new(string))
	waitGraph(t, ctx, 30*time.Second, func(s graphState) bool {
		if s.State != "ready" {
			return false
		}
		var ops []string
		evalErr(ctx, 5*time.Second, opsJS, &ops)
		return len(ops) == 1 && ops[0] == "SUB"
	})
	var panel string
	eval(t, ctx, `document.getElementById('sidebar-content').innerText`, &panel)
	for _, key := range []string{"add", "mul", "sub", "sub_a:0"} {
		if !strings.Contains(panel, key) {
			t.Errorf("the model panel does not show signature %q:\n%s", key, panel)
		}
	}
	shot(t, ctx, "signature-sub")
}

// opsJS lists the labels of the model nodes drawn.
const opsJS = `modelpeek.view().nodes.filter((n) => n.kind === 'op').map((n) => n.label)`

func drawnOps(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var ops []string
	eval(t, ctx, opsJS, &ops)
	return ops
}
