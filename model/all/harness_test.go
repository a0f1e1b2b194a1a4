package all

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// Bounds every open of a hostile file must stay within. The time bounds
// catch hangs and super-linear blow-ups, not slowness: each is 10x the
// slowest figure measured on a quiet 2-core machine (a corpus variant opens
// in under 300 ms, the heaviest synthetic attack, 2x10^6 empty ONNX nodes,
// in about 1 s), so a loaded CI machine cannot break them while a quadratic
// decoder still would. Speed itself is measured by the benchmarks.
const (
	maxOpenAlloc = 256 << 20
	maxOpenTime  = 30 * time.Second
	fastLimit    = 10 * time.Second
	hangLimit    = 120 * time.Second
	// maxIRDepth bounds how deeply subgraphs may nest in a decoded model.
	maxIRDepth = 256
)

// loadManifest returns the entries of both shared manifests that this
// registry is expected to handle: files of a format with a registered
// decoder, and files that are no model at all (registryFormat ""). Entries
// of formats with no decoder yet are left out, counted in the log, so that
// a decoder joins every registry-wide check by registering.
func loadManifest(t testing.TB) []testenv.Entry {
	t.Helper()
	registered := map[string]bool{"": true}
	for _, f := range Registry().Formats() {
		registered[f.Name] = true
	}
	var es []testenv.Entry
	skipped := map[string]int{}
	for _, e := range testenv.Manifests(t) {
		if !registered[registryFormat(e.Format)] {
			skipped[e.Format]++
			continue
		}
		es = append(es, e)
	}
	if len(es) == 0 {
		t.Fatal("the manifests list no file of a registered format")
	}
	if len(skipped) > 0 {
		t.Logf("no decoder yet for %v (manifest entries per format)", skipped)
	}
	return es
}

// isDir reports whether an entry is a model stored as a directory (a Core
// ML package): byte-level mutations apply to files only.
func isDir(e testenv.Entry) bool {
	st, err := os.Stat(e.Abs())
	return err == nil && st.IsDir()
}

// registryFormat maps a MANIFEST format to the registry name expected to
// open the file; "" means no decoder may claim it.
func registryFormat(manifest string) string {
	switch manifest {
	case "onnx-external-data":
		return ""
	case "safetensors-index":
		return "safetensors"
	}
	return manifest
}

// outcome is what one Registry.Open of a hostile file did.
type outcome struct {
	m     *model.Model
	err   error
	dur   time.Duration
	alloc uint64
	// problem is non-empty when the open broke a promise: it panicked,
	// hung, was slow, allocated too much, or returned a broken model.
	problem string
}

// looksLikePanic reports whether err is a decoder panic turned into an
// error by a recover (the registry's or the decoder's own last resort).
// Decoders must not rely on those: a panic in a goroutine or a stack
// overflow cannot be recovered.
func looksLikePanic(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	for _, w := range []string{"internal error", "decoder error", "runtime error", "panic", "goroutine "} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// firstLine shortens an error for a report.
func firstLine(err error) string {
	if err == nil {
		return "<nil>"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// openChecked opens path through reg and checks every promise an open of
// an untrusted file makes. timeLimit bounds the wall-clock time.
func openChecked(reg *model.Registry, path string, timeLimit time.Duration) outcome {
	type res struct {
		m     *model.Model
		err   error
		dur   time.Duration
		alloc uint64
	}
	done := make(chan res, 1)
	go func() {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		m, err := reg.Open(context.Background(), path)
		dur := time.Since(start)
		runtime.ReadMemStats(&after)
		done <- res{m, err, dur, after.TotalAlloc - before.TotalAlloc}
	}()
	var r res
	select {
	case r = <-done:
	case <-time.After(hangLimit):
		return outcome{problem: fmt.Sprintf("hung: no result after %v", hangLimit)}
	}
	o := outcome{m: r.m, err: r.err, dur: r.dur, alloc: r.alloc}
	switch {
	case looksLikePanic(r.err):
		o.problem = "decoder panicked: " + firstLine(r.err)
	case r.err == nil && r.m == nil:
		o.problem = "no model and no error"
	case r.dur > timeLimit:
		o.problem = fmt.Sprintf("took %v (limit %v)", r.dur.Round(time.Millisecond), timeLimit)
	case r.alloc > maxOpenAlloc:
		o.problem = fmt.Sprintf("allocated %d MiB (limit %d MiB)", r.alloc>>20, maxOpenAlloc>>20)
	case r.err == nil:
		if p := checkModel(r.m); p != "" {
			o.problem = "decoded model is unusable: " + p
		}
	}
	return o
}

// checkModel checks what the rest of the app relies on in a decoded
// model: a graph, no subgraph cycles or absurd nesting, no nil entries,
// JSON-encodable, summarisable, and previews that do not panic. It
// returns a description of the first problem, or "".
func checkModel(m *model.Model) (problem string) {
	defer func() {
		if p := recover(); p != nil {
			problem = fmt.Sprintf("panic while using the model: %v", p)
		}
	}()
	if m.Graph == nil {
		return "Graph is nil"
	}
	if m.Format == "" {
		return "Format is empty"
	}
	// Walk the subgraph tree depth-first as JSON encoding would, with an
	// explicit stack: a cycle would make encoding recurse forever, and
	// heavy sharing would multiply the output.
	type item struct {
		g     *model.Graph
		depth int
		exit  bool
	}
	onPath := map[*model.Graph]bool{}
	visits := 0
	stack := []item{{g: m.Graph}}
	for _, f := range m.Functions {
		stack = append(stack, item{g: f})
	}
	var tensors []*model.Tensor
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.exit {
			delete(onPath, it.g)
			continue
		}
		if it.g == nil {
			return "nil subgraph"
		}
		if onPath[it.g] {
			return "a subgraph contains itself: JSON encoding would never end"
		}
		if visits++; visits > 1_000_000 {
			return "subgraphs are shared so often that the model expands to over a million graphs"
		}
		if it.depth > maxIRDepth {
			return fmt.Sprintf("subgraphs nest deeper than %d", maxIRDepth)
		}
		onPath[it.g] = true
		stack = append(stack, item{g: it.g, exit: true})
		for _, v := range append(append(append([]*model.Value{}, it.g.Inputs...), it.g.Outputs...), it.g.ValueInfo...) {
			if v == nil {
				return "nil value in a graph"
			}
		}
		for _, t := range it.g.Initializers {
			if t == nil {
				return "nil initializer"
			}
			if len(tensors) < 16 {
				tensors = append(tensors, t)
			}
		}
		for _, n := range it.g.Nodes {
			if n == nil {
				return "nil node"
			}
			for _, sg := range n.Subgraphs() {
				stack = append(stack, item{g: sg, depth: it.depth + 1})
			}
		}
	}
	model.Summarize(m)
	model.ParamTree(m.Graph) // the parameter map of every hostile graph
	if _, err := json.Marshal(m); err != nil {
		return "JSON encoding failed: " + err.Error()
	}
	for _, t := range tensors {
		model.ReadPreview(t, 64) // errors are fine; a panic is not
	}
	return ""
}

// knownIssues are broken promises already reported to the owner of the
// code at fault. They are logged, not failed, so that new problems stand
// out; set MODELPEEK_HOSTILE_STRICT=1 to fail on them too. Remove an entry
// once it is fixed.
var knownIssues = []struct{ substr, owner string }{}

// knownIssue returns the owner note of a known problem, or "".
func knownIssue(problem string) string {
	if os.Getenv("MODELPEEK_HOSTILE_STRICT") == "1" {
		return ""
	}
	for _, k := range knownIssues {
		if strings.Contains(problem, k.substr) {
			return k.owner
		}
	}
	return ""
}

// openFDs returns the number of open file descriptors of this process, or
// -1 where /proc/self/fd does not exist.
func openFDs() int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

// variantFile writes data to a file named name in dir and returns its path.
func variantFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
