package model

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStatsSampledPastBudget streams a 4 GiB float32 tensor held in a
// sparse file with a short budget: the statistics must come back marked
// sampled, consistent over the elements read, in bounded time (the hang
// bound is 20x the budget: 10x, doubled for the chunks under way when it
// runs out).
func TestStatsSampledPastBudget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparse.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const size = 4 << 30
	if err := f.Truncate(size); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	f.Close()
	tn := &Tensor{Name: "big", DType: "float32", Shape: []int64{size / 4},
		Location: &Location{File: path, Length: size, Encoding: EncRaw}}
	const budget = 200 * time.Millisecond
	start := time.Now()
	s, err := ReadStats(context.Background(), tn, StatsOptions{Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*budget {
		t.Errorf("took %v with a %v budget", d, budget)
	}
	var sum int64
	for _, c := range s.Histogram.Counts {
		sum += c
	}
	if !s.Sampled || s.Read <= 0 || s.Read >= s.Count || s.Zeros != s.Read || sum != s.Read || s.Count != size/4 {
		t.Errorf("sampled %v, read %d of %d, zeros %d, histogram %d", s.Sampled, s.Read, s.Count, s.Zeros, sum)
	}
	t.Logf("read %d of %d values in %v", s.Read, s.Count, time.Since(start))
}
