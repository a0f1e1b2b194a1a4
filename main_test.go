package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndVersion(t *testing.T) {
	cases := []struct {
		args       []string
		code       int
		out, err   string
		emptyOther bool
	}{
		{[]string{"--help"}, 0, "Usage:", "", true},
		{[]string{"-h"}, 0, "Usage:", "", true},
		{[]string{"help"}, 0, "Usage:", "", true},
		{[]string{"serve", "--help"}, 0, "Usage:", "", true},
		{[]string{"inspect", "-help"}, 0, "Usage:", "", true},
		{[]string{"version"}, 0, "modelpeek ", "", true},
		{[]string{"--bogus"}, 2, "", "Usage:", true},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined: -bogus", true},
		{[]string{"serve", "--addr"}, 2, "", "flag needs an argument", true},
		{[]string{"--addr", "127.0.0.1:0"}, 2, "", "Usage:", true},
		{[]string{"inspect"}, 2, "", "exactly one FILE", true},
		{[]string{"inspect", "a", "b"}, 2, "", "exactly one FILE", true},
		{[]string{"inspect", "--yaml", "a"}, 2, "", "Usage:", true},
		{[]string{"version", "x"}, 2, "", "Usage:", true},
		{[]string{"autostart"}, 2, "", "Usage:", true},
		{[]string{"autostart", "maybe"}, 2, "", "Usage:", true},
	}
	for _, c := range cases {
		code, out, errs := runCLI(c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
			t.Errorf("%v: exit %d, stdout %.60q, stderr %.80q", c.args, code, out, errs)
		}
		if c.emptyOther && (c.code == 0 && errs != "" || c.code != 0 && out != "") {
			t.Errorf("%v: unexpected output: stdout %.60q stderr %.60q", c.args, out, errs)
		}
	}
}

func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.onnx")
	os.WriteFile(junk, []byte("this is not a model\n"), 0o644)
	empty := filepath.Join(dir, "empty.bin")
	os.WriteFile(empty, nil, 0o644)
	for _, f := range []string{junk, empty, dir, filepath.Join(dir, "missing.onnx")} {
		code, out, errs := runCLI("inspect", f)
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "modelpeek: ") {
			t.Errorf("inspect %s: exit %d, stdout %q, stderr %q", f, code, out, errs)
		}
	}
}

// manifestEntry is the part of the corpus manifest this test reads.
type manifestEntry struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Facts  struct {
		Nodes *int           `json:"node_count_including_subgraphs"`
		Ops   map[string]int `json:"op_type_histogram_top_level"`
	} `json:"facts"`
}

// TestInspectCorpus runs inspect --json over the corpus's ONNX files and
// checks node counts and op histograms against the manifest.
func TestInspectCorpus(t *testing.T) {
	corpus := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(corpus, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []manifestEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	checked, unknown := 0, 0
	for _, e := range entries {
		if e.Format != "onnx" || e.Facts.Nodes == nil {
			continue
		}
		code, out, errs := runCLI("inspect", "--json", filepath.Join(corpus, e.Path))
		if code != 0 {
			if strings.Contains(errs, "not a model file I know") {
				unknown++
				continue
			}
			t.Errorf("%s: exit %d: %s", e.Path, code, errs)
			continue
		}
		var s struct {
			Format string
			Nodes  int
			Ops    map[string]int
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Errorf("%s: %v", e.Path, err)
			continue
		}
		if s.Format != "onnx" || s.Nodes != *e.Facts.Nodes {
			t.Errorf("%s: format %s, %d nodes; manifest: %d", e.Path, s.Format, s.Nodes, *e.Facts.Nodes)
		}
		if e.Facts.Ops != nil && !mapsEqual(s.Ops, e.Facts.Ops) {
			t.Errorf("%s: ops %v, manifest %v", e.Path, s.Ops, e.Facts.Ops)
		}
		checked++
	}
	if checked == 0 {
		testenv.Skip(t, "the ONNX decoder recognises none of the %d corpus files yet", unknown)
	}
	t.Logf("inspect agrees with the manifest on %d ONNX files (%d not recognised)", checked, unknown)
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "8G": 8 << 30, "512m": 512 << 20, "3K": 3072, "1T": 1 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-1", "G", "1.5G", "x", "99999999999T", "8GB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
