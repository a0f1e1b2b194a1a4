package compare_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/model/ggml"
)

// selfFormats are the formats whose single-file models are compared with
// a byte copy of themselves.
var selfFormats = []string{"onnx", "tflite", "gguf", "safetensors", "numpy"}

// maxSelfBytes keeps the self comparison quick.
const maxSelfBytes = 12 << 20

func open(t *testing.T, path string) *model.Model {
	t.Helper()
	m, err := all.Registry().Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return m
}

func copyFile(t *testing.T, src string) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestSelfCopy compares every valid single-file model of the manifests
// with a copy of itself (so every weight is read, not skipped as the same
// bytes): equal, every node matched by a score-1 or structural pair.
func TestSelfCopy(t *testing.T) {
	n := 0
	for _, e := range testenv.ManifestEntries(t, selfFormats...) {
		if !e.Valid() || len(e.Files) > 0 || e.Bytes > maxSelfBytes {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			a := open(t, e.Abs())
			if len(a.Files) > 1 {
				t.Skipf("made of %d files; a copy of one would not be the same model", len(a.Files))
			}
			b := open(t, copyFile(t, e.Abs()))
			r, err := compare.Models(context.Background(), a, b)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Equal {
				j, _ := json.MarshalIndent(r, "", " ")
				t.Fatalf("a file and its copy differ:\n%.2000s", j)
			}
			if r.Nodes.Matched != len(a.Graph.Nodes) {
				t.Errorf("matched %d of %d nodes", r.Nodes.Matched, len(a.Graph.Nodes))
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest entry to compare with itself")
	}
}

// precisionTag is a precision or quantisation suffix of a file name:
// "hello_world_int8", "tiny-llama-q4_0-q4_1", "tiny-llama-f16".
var precisionTag = regexp.MustCompile(`[-_](float|fp32|fp16|int8|uint8|f32|f16|bf16|q\d[\w-]*)$`)

// precisionPairs finds, among the manifest entries of a format, files in
// one folder whose names differ only in a precision tag.
func precisionPairs(t *testing.T, format string) [][2]testenv.Entry {
	t.Helper()
	groups := map[string][]testenv.Entry{}
	var keys []string
	for _, e := range testenv.ManifestEntries(t, format) {
		if !e.Valid() {
			continue
		}
		stem := strings.TrimSuffix(e.Path, filepath.Ext(e.Path))
		base := precisionTag.ReplaceAllString(stem, "")
		if base == stem && !strings.HasSuffix(stem, "_float") {
			base = stem // an untagged file is the float one of its group
		}
		if _, ok := groups[base]; !ok {
			keys = append(keys, base)
		}
		groups[base] = append(groups[base], e)
	}
	var out [][2]testenv.Entry
	for _, k := range keys {
		g := groups[k]
		for i := 1; i < len(g); i++ {
			out = append(out, [2]testenv.Entry{g[0], g[i]})
		}
	}
	return out
}

// TestPrecisionPairs compares float and quantised versions of one network
// found in the manifests: every node and weight matched; weights whose
// dtype changed are reported with statistics when both sides decode, or
// with a note saying why not.
func TestPrecisionPairs(t *testing.T) {
	for _, format := range []string{"tflite", "gguf"} {
		pairs := precisionPairs(t, format)
		if len(pairs) == 0 {
			testenv.Skip(t, "no %s precision pair in the manifests", format)
			continue
		}
		for _, p := range pairs {
			t.Run(p[0].Path+"~"+filepath.Base(p[1].Path), func(t *testing.T) {
				checkPrecisionPair(t, open(t, p[0].Abs()), open(t, p[1].Abs()))
			})
		}
	}
}

// decodable says whether values of a dtype can be read: plain numbers
// and the ggml block types with a dequantiser.
func decodable(dt string) bool {
	if _, ok := ggml.Lookup(dt); ok {
		return true
	}
	return !strings.HasPrefix(dt, "q") && !strings.HasPrefix(dt, "iq") && dt != "string" && dt != ""
}

func checkPrecisionPair(t *testing.T, a, b *model.Model) {
	r, err := compare.Models(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Nodes.Added)+len(r.Nodes.Removed) > 0 || r.Nodes.Matched != len(a.Graph.Nodes) {
		t.Errorf("structure not matched: %d matched of %d, added %q, removed %q", r.Nodes.Matched, len(a.Graph.Nodes), r.Nodes.Added, r.Nodes.Removed)
	}
	if len(r.Weights.Added)+len(r.Weights.Removed) > 0 {
		t.Errorf("weights not all matched: added %q, removed %q", r.Weights.Added, r.Weights.Removed)
	}
	if r.Equal {
		t.Fatal("a float and a quantised model compare equal")
	}
	dtypeChanges := 0
	for _, w := range r.Weights.Changed {
		if w.DTypeA == w.DTypeB {
			continue
		}
		dtypeChanges++
		if w.MaxAbsDiff == nil && w.Note == "" {
			t.Errorf("%s %s → %s: neither statistics nor a reason", w.A, w.DTypeA, w.DTypeB)
		}
		na, _ := model.NumElements(w.ShapeA)
		nb, _ := model.NumElements(w.ShapeB)
		if na == nb && w.MaxAbsDiff == nil && decodable(w.DTypeA) && decodable(w.DTypeB) {
			t.Errorf("%s %s → %s: no statistics although both decode: %s", w.A, w.DTypeA, w.DTypeB, w.Note)
		}
		if w.Cosine != nil && (math.Abs(*w.Cosine) > 1+1e-9) {
			t.Errorf("%s: cosine %v outside [-1, 1]", w.A, *w.Cosine)
		}
	}
	if dtypeChanges == 0 {
		t.Error("no weight changed dtype")
	}
}

// sameNetwork groups manifest entries whose file names agree once case,
// punctuation and extension are dropped ("squeezenet_v1.1.prototxt",
// "squeezenetv1.1.mnn"), keeping groups with one file per format and at
// least two formats: one network exported to several formats.
func sameNetwork(t *testing.T) [][]testenv.Entry {
	t.Helper()
	norm := regexp.MustCompile(`[^a-z0-9]`)
	groups := map[string][]testenv.Entry{}
	var keys []string
	for _, e := range testenv.Manifests(t) {
		if !e.Valid() {
			continue
		}
		b := filepath.Base(e.Path)
		k := norm.ReplaceAllString(strings.ToLower(strings.TrimSuffix(b, filepath.Ext(b))), "")
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], e)
	}
	var out [][]testenv.Entry
	for _, k := range keys {
		g := groups[k]
		formats := map[string]bool{}
		for _, e := range g {
			formats[e.Format] = true
		}
		if len(g) > 1 && len(formats) == len(g) {
			out = append(out, g)
		}
	}
	return out
}

// TestCrossFormat: the same network in two formats pairs at least 90% of
// the smaller graph's nodes.
func TestCrossFormat(t *testing.T) {
	pairs := 0
	for _, g := range sameNetwork(t) {
		var ms []*model.Model
		var names []string
		for _, e := range g {
			m, err := all.Registry().Open(context.Background(), e.Abs())
			if err != nil || m.Graph == nil || len(m.Graph.Nodes) < 5 {
				continue // a weights-only part of a model, not a network
			}
			ms, names = append(ms, m), append(names, e.Name())
		}
		for i := range ms {
			for j := i + 1; j < len(ms); j++ {
				pairs++
				r, err := compare.Models(context.Background(), ms[i], ms[j])
				if err != nil {
					t.Fatal(err)
				}
				small := min(len(ms[i].Graph.Nodes), len(ms[j].Graph.Nodes))
				t.Logf("%s ~ %s: %d matched of %d and %d nodes", names[i], names[j], r.Nodes.Matched, len(ms[i].Graph.Nodes), len(ms[j].Graph.Nodes))
				if 10*r.Nodes.Matched < 9*small {
					t.Errorf("%s ~ %s: %d of %d nodes matched, want 90%%", names[i], names[j], r.Nodes.Matched, small)
				}
			}
		}
	}
	if pairs == 0 {
		testenv.Skip(t, "no network in two formats in the manifests")
	}
}
