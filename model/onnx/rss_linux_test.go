package onnx

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// writeBigModel writes a ModelProto of about 2 GiB whose weights are
// inline raw_data: count tensors of size bytes each, plus a few nodes. The
// weight bytes are holes of a sparse file (zeros), so writing it costs
// neither time nor disk.
func writeBigModel(t testing.TB, path string, count int, size int64) int64 {
	t.Helper()
	type part struct {
		head []byte // bytes before the weight data
		hole int64  // weight bytes after head
	}
	var parts []part
	var graphLen int64
	add := func(p part) {
		parts = append(parts, p)
		graphLen += int64(len(p.head)) + p.hole
	}
	add(part{head: pbString(nil, graphName, "big_inline_weights")})
	add(part{head: pbBytes(nil, graphInput, tensorValueInfo("x", "batch", 1024))})
	for i := 0; i < count; i++ {
		tn := pbVarint(nil, tensorDims, uint64(size/4))
		tn = pbVarint(tn, tensorDataType, 1)
		tn = pbString(tn, tensorName, fmt.Sprintf("layer%d.weight", i))
		tn = pbLenPrefix(tn, tensorRawData, int(size))
		head := pbLenPrefix(nil, graphInitializer, len(tn)+int(size))
		add(part{head: append(head, tn...), hole: size})
		node := pbString(nil, nodeInput, "x")
		node = pbString(node, nodeInput, fmt.Sprintf("layer%d.weight", i))
		node = pbString(node, nodeOutput, fmt.Sprintf("y%d", i))
		node = pbString(node, nodeOpType, "Mul")
		add(part{head: pbBytes(nil, graphNode, node)})
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var off int64
	write := func(b []byte) {
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		off += int64(len(b))
	}
	write(pbLenPrefix(modelHeader(), modelGraph, int(graphLen)))
	for _, p := range parts {
		write(p.head)
		if p.hole > 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			off += p.hole
			if _, err := f.Seek(off, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(off); err != nil {
		t.Fatal(err)
	}
	return off
}

// rssReport is what the child process measures.
type rssReport struct {
	BeforeKB, PeakKB int64
	Tensors          int
	Err              string
}

// TestBigInlineWeightsRSS opens a 2 GiB model with inline weights in a
// child process and checks that its peak RSS grows by less than 64 MB.
func TestBigInlineWeightsRSS(t *testing.T) {
	if p := os.Getenv("MODELPEEK_RSS_CHILD"); p != "" {
		t.Skip("child mode is run by TestRSSChild")
	}
	dir := t.TempDir()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil || int64(st.Bavail)*int64(st.Bsize) < 64<<20 {
		testenv.Skip(t, "not enough free space in %s", dir)
	}
	cases := []struct {
		name  string
		count int
		size  int64
	}{
		{"32x64MiB", 32, 64 << 20},
		{"2048x1MiB", 2048, 1 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".onnx")
			total := writeBigModel(t, path, c.count, c.size)
			defer os.Remove(path)
			cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.v")
			cmd.Env = append(os.Environ(), "MODELPEEK_RSS_CHILD="+path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var r rssReport
			i := strings.Index(string(out), "RSS ")
			if i < 0 {
				t.Fatalf("child output:\n%s", out)
			}
			line := strings.SplitN(string(out[i+4:]), "\n", 2)[0]
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("child report %q: %v", line, err)
			}
			if r.Err != "" {
				t.Fatal(r.Err)
			}
			if r.Tensors != c.count {
				t.Fatalf("%d tensors, want %d", r.Tensors, c.count)
			}
			growth := (r.PeakKB - r.BeforeKB) << 10
			t.Logf("%.2f GiB file, %d tensors: peak RSS %d KB before open, %d KB peak during open: growth %.1f MB",
				float64(total)/(1<<30), c.count, r.BeforeKB, r.PeakKB, float64(growth)/1e6)
			if growth >= 64<<20 {
				t.Errorf("peak RSS grew by %d bytes opening a %d-byte model; want < 64 MB", growth, total)
			}
		})
	}
}

// TestRSSChild is the child side of TestBigInlineWeightsRSS.
func TestRSSChild(t *testing.T) {
	path := os.Getenv("MODELPEEK_RSS_CHILD")
	if path == "" {
		t.Skip("run by TestBigInlineWeightsRSS")
	}
	r := rssReport{}
	// Reset the peak so it measures the open alone.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	r.BeforeKB = procStatus(t, "VmRSS")
	m, err := Open(context.Background(), path)
	r.PeakKB = procStatus(t, "VmHWM")
	if err != nil {
		r.Err = err.Error()
	} else {
		r.Tensors = len(m.Graph.Initializers)
		if _, err := model.ReadPreview(m.Graph.Initializers[0], 16); err != nil {
			r.Err = "preview: " + err.Error()
		}
	}
	b, _ := json.Marshal(r)
	fmt.Printf("RSS %s\n", b)
}

// procStatus reads a kB field of /proc/self/status.
func procStatus(t testing.TB, key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%s not in /proc/self/status", key)
	return 0
}

// BenchmarkOpenBigInline2GiB opens a 2 GiB model (2048 tensors of 1 MiB
// inline raw_data, a sparse file).
func BenchmarkOpenBigInline2GiB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.onnx")
	writeBigModel(b, path, 2048, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
}
