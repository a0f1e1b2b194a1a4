package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Entry is one model of a shared MANIFEST.json. Facts stay raw: each format
// decodes them into its own struct, because the same key (functions,
// metadata) has a different shape in different formats.
type Entry struct {
	// Root is the absolute folder holding the MANIFEST.json.
	Root string `json:"-"`
	// Set names the manifest: "corpus" or "real-world".
	Set    string          `json:"-"`
	Path   string          `json:"path"`
	Format string          `json:"format"`
	Kind   string          `json:"kind"`
	Bytes  int64           `json:"bytes"`
	Files  []string        `json:"files"`
	Facts  json.RawMessage `json:"facts"`
}

// Abs is the entry's absolute path: a file, or a directory for models
// stored as one (.mlpackage, SavedModel).
func (e Entry) Abs() string { return filepath.Join(e.Root, filepath.FromSlash(e.Path)) }

// Name is "set/path", for test names and messages.
func (e Entry) Name() string { return e.Set + "/" + e.Path }

// Valid reports whether the entry is a well-formed model; entries with
// facts.valid == false are broken on purpose and must be refused.
func (e Entry) Valid() bool {
	var f struct {
		Valid *bool `json:"valid"`
	}
	if len(e.Facts) > 0 {
		_ = json.Unmarshal(e.Facts, &f)
	}
	return f.Valid == nil || *f.Valid
}

// RealWorld returns the absolute path of ../shared/real-world beside the
// module root, skipping (or failing) when it is absent.
func RealWorld(t testing.TB) string {
	t.Helper()
	return sharedDir(t, "real-world")
}

// Manifests returns the entries of both shared manifests (corpus first,
// then real-world), skipping (or failing) when the corpus is absent. The
// real-world set is optional unless MODELPEEK_REQUIRE_ALL=1.
func Manifests(t testing.TB) []Entry {
	t.Helper()
	es := readManifest(t, Corpus(t), "corpus")
	rw := filepath.Join(Root(t), "..", "shared", "real-world")
	if _, err := os.Stat(filepath.Join(rw, "MANIFEST.json")); err != nil && !RequireAll() {
		return es
	}
	return append(es, readManifest(t, RealWorld(t), "real-world")...)
}

// ManifestEntries returns the entries of both manifests whose format is one
// of formats, failing the test when there are none (a format whose entries
// all vanished must not pass by checking nothing).
func ManifestEntries(t testing.TB, formats ...string) []Entry {
	t.Helper()
	var out []Entry
	for _, e := range Manifests(t) {
		for _, f := range formats {
			if e.Format == f {
				out = append(out, e)
				break
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no manifest entry has format %v", formats)
	}
	return out
}

func readManifest(t testing.TB, root, set string) []Entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		t.Fatalf("%s/MANIFEST.json: %v", set, err)
	}
	for i := range es {
		es[i].Root, es[i].Set = root, set
	}
	return es
}

func sharedDir(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(Root(t), "..", "shared", name)
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.json")); err != nil {
		Skip(t, "%s not found at %s", name, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
