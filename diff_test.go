package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestDiffExitCodes: a corpus file against itself exits 0, against a
// different file 1 with the JSON keys, and a missing file 2.
func TestDiffExitCodes(t *testing.T) {
	var files []string
	for _, e := range testenv.ManifestEntries(t, "tflite") {
		if e.Valid() && len(files) < 2 {
			files = append(files, e.Abs())
		}
	}
	if len(files) < 2 {
		t.Fatal("need two valid TFLite files")
	}
	if code, out, errOut := runCLI("diff", files[0], files[0]); code != 0 || !strings.HasPrefix(out, "equal:") {
		t.Errorf("self: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCLI("diff", "--json", files[0], files[1])
	if code != 1 {
		t.Fatalf("different files: exit %d\n%s%s", code, out, errOut)
	}
	var res map[string]map[string]any
	if err := json.Unmarshal([]byte(strings.Replace(out, `"equal": false,`, "", 1)), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for part, keys := range map[string][]string{"nodes": {"matched", "added", "removed", "changed"}, "weights": {"added", "removed", "changed"},
		"cost": {"params", "param_bytes", "macs", "activation_bytes", "peak_bytes", "unknown_nodes"}} {
		for _, k := range keys {
			if _, ok := res[part][k]; !ok {
				t.Errorf("JSON has no %s.%s", part, k)
			}
		}
	}
	missing := filepath.Join(t.TempDir(), "absent.onnx")
	if code, _, errOut := runCLI("diff", files[0], missing); code != 2 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCLI("diff", files[0]); code != 2 {
		t.Errorf("one file: exit %d, want 2", code)
	}
}
