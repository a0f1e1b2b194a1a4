package llm_test

import (
	"context"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/model/internal/llm/llmfacts"
)

// TestManifestArchitectures opens every manifest entry that carries
// facts.llm, whatever its format, and checks the graph against them:
// consumers, the order weights are used, residuals, attention attributes,
// and no edges for weight-only files.
func TestManifestArchitectures(t *testing.T) {
	n := 0
	for _, e := range testenv.Manifests(t) {
		f, err := llmfacts.Parse(e.Facts)
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if f == nil {
			continue
		}
		n++
		t.Run(e.Path, func(t *testing.T) {
			m, err := all.Registry().Open(context.Background(), e.Abs())
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range llmfacts.Check(m, f) {
				t.Error(msg)
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest entry has facts.llm")
	}
}
