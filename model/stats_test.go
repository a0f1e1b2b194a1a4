package model_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// TestStatsAgreeWithFacts checks ReadStats against every tensor_stats fact
// of the manifests and tensor-stats-existing.json, with the corpus
// README's tolerances (facts.CompareStats).
func TestStatsAgreeWithFacts(t *testing.T) {
	n := 0
	for _, f := range facts.StatsFacts(t) {
		m, err := all.Registry().Open(context.Background(), f.Path)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		for name, w := range f.Tensors {
			n++
			tn := model.FindTensor(m, name)
			if tn == nil {
				t.Errorf("%s: no tensor %q", f.Path, name)
				continue
			}
			s, err := model.ReadStats(context.Background(), tn, model.StatsOptions{})
			if err != nil {
				t.Errorf("%s %s: %v", f.Path, name, err)
				continue
			}
			for _, p := range facts.CompareStats(s, w) {
				t.Errorf("%s %s (%s): %s", filepath.Base(f.Path), name, tn.DType, p)
			}
		}
	}
	t.Logf("%d tensor_stats facts checked", n)
}
