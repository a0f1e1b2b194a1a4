package darknet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
)

func TestManifest(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "darknet"), Open)
}

// TestWeightsAddUp checks that the shipped .weights files are accounted
// for exactly, and that output sizes follow darknet's formulas.
func TestWeightsAddUp(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "darknet") {
		if len(e.Files) == 0 {
			continue
		}
		m, err := Open(context.Background(), e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Warnings) > 0 || len(m.Files) != 2 {
			t.Errorf("%s: warnings %q, files %q", e.Path, m.Warnings, m.Files)
		}
	}
	m, err := Open(context.Background(), filepath.Join(testenv.Corpus(t), "darknet/route/routes_reorg_region.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"0_convolutional": "[8,24,32]", "2_route": "[8,24,32]", "4_route": "[32,12,16]", "5_reorg": "[128,6,8]", "7_region": "[30,6,8]"}
	for _, v := range m.Graph.ValueInfo {
		if w, ok := want[v.Name]; ok && v.Type.Shape.String() != w {
			t.Errorf("%s: shape %s, want %s", v.Name, v.Type.Shape, w)
		}
	}
}

// openNoPanic opens data as a file: an error or a model, never a panic.
func openNoPanic(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), path)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "darknet: ") {
			t.Errorf("%d bytes: error without the format name: %v", len(data), err)
		}
		return
	}
	model.Summarize(m)
}

func TestHostile(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"route forward":   "[net]\nwidth=8\nheight=8\nchannels=3\n[route]\nlayers=5\n",
		"route self":      "[net]\n[route]\nlayers=0\n",
		"huge sizes":      "[net]\nwidth=99999999999\nheight=8\nchannels=3\n[convolutional]\nfilters=1\n",
		"huge filters":    "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=2147483647\nsize=2147483647\n[connected]\noutput=16777216\n",
		"upsample blowup": "[net]\nwidth=4096\nheight=4096\nchannels=3\n[upsample]\nstride=4096\n",
		"zero stride":     "[net]\nwidth=8\nheight=8\nchannels=3\n[maxpool]\nstride=0\n[reorg]\nstride=0\n",
		"no net":          "[convolutional]\nfilters=1\n",
		"unclosed":        "[net\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) { openNoPanic(t, filepath.Join(dir, "a.cfg"), []byte(text)) })
	}
	src := filepath.Join(testenv.Corpus(t), "darknet/shortcut/res_shortcut_groups")
	cfg, _ := os.ReadFile(src + ".cfg")
	w, _ := os.ReadFile(src + ".weights")
	for n := 0; n < len(w); n += 7 {
		os.WriteFile(filepath.Join(dir, "b.weights"), w[:n], 0o644)
		openNoPanic(t, filepath.Join(dir, "b.cfg"), cfg)
	}
	for n := 0; n < len(cfg); n++ {
		openNoPanic(t, filepath.Join(dir, "c.cfg"), cfg[:n])
	}
}

func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "darknet") {
		if data, err := os.ReadFile(e.Abs()); err == nil && len(data) < 1<<16 {
			f.Add(data)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.cfg")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if m, err := Open(context.Background(), p); err == nil {
			model.Summarize(m)
		}
	})
}
