//go:build linux

package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv/proc"
	"github.com/modelpeek/modelpeek/model"
)

// bigTensorElems is the element count of the 4 GiB float32 tensor.
const bigTensorElems = 1 << 30

// writeBigSafetensors writes a safetensors file holding one 4 GiB F32
// tensor whose data is the hole of a sparse file (all zeros).
func writeBigSafetensors(t *testing.T) string {
	t.Helper()
	header, err := json.Marshal(map[string]any{
		"big": map[string]any{"dtype": "F32", "shape": []int64{bigTensorElems}, "data_offsets": []int64{0, 4 * bigTensorElems}},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.safetensors")
	head := append(binary.LittleEndian.AppendUint64(nil, uint64(len(header))), header...)
	if err := os.WriteFile(path, head, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(head))+4*bigTensorElems); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	return path
}

// TestInspectTensor4GiB runs the built binary's `inspect --json --tensor`
// on a 4 GiB tensor: it must answer within its time budget (the hang
// bound is 10x model.DefaultStatsBudget) with statistics that are either
// complete (every element read, all zeros) or marked sampled and
// consistent over the elements read, and its peak RSS must stay bounded:
// streaming, never the tensor in memory.
func TestInspectTensor4GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	path := writeBigSafetensors(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*model.DefaultStatsBudget)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, proc.Binary(t), "inspect", "--json", "--tensor", "big", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("inspect --tensor: %v\n%s", err, stderr.String())
	}
	took := time.Since(start)
	var s struct {
		Count, Zeros, NaN, Inf, Read int64
		Min, Max, Mean, Std          float64
		Sampled                      bool
		Histogram                    model.Histogram
	}
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	checkBigStats(t, s.Count, s.Read, s.Zeros, s.NaN+s.Inf, s.Sampled, s.Histogram, []float64{s.Min, s.Max, s.Mean, s.Std})
	rss := peakRSS(cmd.ProcessState)
	t.Logf("4 GiB tensor: %d of %d values read in %v (sampled %v), peak RSS ≤ %.1f MiB", s.Read, s.Count, took, s.Sampled, float64(rss)/(1<<20))
	if rss > maxBigTensorRSS {
		t.Errorf("peak RSS %d MiB, want under %d MiB", rss>>20, maxBigTensorRSS>>20)
	}
}

// maxBigTensorRSS bounds the process's peak RSS: a 64th of the tensor.
const maxBigTensorRSS = 64 << 20

// checkBigStats checks the statistics of the all-zero tensor.
func checkBigStats(t *testing.T, count, read, zeros, nonFinite int64, sampled bool, h model.Histogram, moments []float64) {
	t.Helper()
	var sum int64
	for _, c := range h.Counts {
		sum += c
	}
	switch {
	case count != bigTensorElems:
		t.Errorf("count %d, want %d", count, bigTensorElems)
	case !sampled && read != count:
		t.Errorf("not sampled but read %d of %d", read, count)
	case sampled && (read <= 0 || read >= count):
		t.Errorf("sampled but read %d of %d", read, count)
	case zeros != read || nonFinite != 0 || sum != read:
		t.Errorf("read %d: zeros %d, nan+inf %d, histogram %d", read, zeros, nonFinite, sum)
	}
	for _, m := range moments {
		if m != 0 {
			t.Errorf("min, max, mean, std %v of an all-zero tensor", moments)
			break
		}
	}
}

// peakRSS is the child's peak RSS in bytes. On Linux the figure is the
// larger of the child's own and this process's at the exec (the child
// shares its memory until then), so it is an upper bound.
func peakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss // bytes
	}
	return ru.Maxrss << 10 // KiB
}
