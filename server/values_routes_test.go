package server

import (
	"context"
	"encoding/binary"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/gguf"
	"github.com/modelpeek/modelpeek/model/onnx"
)

// openCorpus opens a corpus file with open and serves it as model m1.
func openCorpus(t *testing.T, rel string, open func(context.Context, string) (*model.Model, error)) (*Server, string, *model.Model) {
	t.Helper()
	m, err := open(context.Background(), filepath.Join(testenv.Corpus(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	lib := newFakeLib()
	lib.add("m1", filepath.Base(rel), m)
	s, addr := startServer(t, lib, nil)
	return s, addr, m
}

// TestStatsRouteOnBlockTypes asks the stats route for every tensor of the
// GGUF file holding one tensor per quantization type: the statistics are
// ReadStats' over the whole tensor with a 48-bin histogram adding up to
// the finite values, and block types are described (bits per value from
// the block's bytes).
func TestStatsRouteOnBlockTypes(t *testing.T) {
	s, addr, m := openCorpus(t, "gguf/quant/one-tensor-per-type.gguf", gguf.Open)
	blocks := 0
	for _, tn := range m.Graph.Initializers {
		var a struct {
			Stats struct {
				model.Stats
				First []any `json:"first"`
			} `json:"stats"`
			Block *blockInfo `json:"block"`
			Dims  []int64    `json:"dims"`
		}
		if code := getJSON(t, s, addr, "/api/models/m1/stats/"+url.PathEscape(tn.Name), &a); code != 200 {
			t.Fatalf("%s: %d", tn.Name, code)
		}
		want, err := model.ReadStats(context.Background(), tn, model.StatsOptions{Bins: statsBins})
		if err != nil {
			t.Fatal(err)
		}
		st := a.Stats
		if st.Count != want.Count || st.Zeros != want.Zeros || st.NaN != want.NaN || st.Inf != want.Inf || st.Mean != want.Mean || st.Std != want.Std || st.Sampled {
			t.Errorf("%s: route %+v, ReadStats %+v", tn.Name, st, want)
		}
		var sum int64
		for _, c := range st.Histogram.Counts {
			sum += c
		}
		if len(st.Histogram.Counts) != statsBins && st.Max > st.Min || sum != st.Count-st.NaN-st.Inf {
			t.Errorf("%s: histogram of %d bins holds %d values", tn.Name, len(st.Histogram.Counts), sum)
		}
		if !slices.Equal(a.Dims, []int64{tn.Shape[1], tn.Shape[0]}) {
			t.Errorf("%s: dims %v for ne %v", tn.Name, a.Dims, tn.Shape)
		}
		if strings.HasPrefix(tn.Name, "q") || strings.HasPrefix(tn.Name, "iq") {
			blocks++
			if a.Block == nil || a.Block.Type != string(tn.DType) || a.Block.Bits != 8*float64(a.Block.Bytes)/float64(a.Block.Values) {
				t.Errorf("%s: block %+v", tn.Name, a.Block)
			}
		}
	}
	if blocks < 11 {
		t.Errorf("%d block types described, want 11", blocks)
	}
}

// TestChannelsValuesAndNpyRoutes reads a convolution weight of a corpus
// ONNX model through the channel, values and .npy routes: the channel
// ranges span the tensor's statistics, value pages are the tensor's
// values from any offset, and the .npy file holds its shape and values.
func TestChannelsValuesAndNpyRoutes(t *testing.T) {
	s, addr, m := openCorpus(t, "onnx/torchvision/mobilenet_v3_small.onnx", onnx.Open)
	var w *model.Tensor
	for _, tn := range m.Graph.Initializers {
		if len(tn.Shape) == 4 && tn.Shape[0] >= 16 {
			w = tn
			break
		}
	}
	if w == nil {
		t.Fatal("no conv weight")
	}
	name := url.PathEscape(w.Name)
	st, err := model.ReadStats(context.Background(), w, model.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var c model.Channels
	if code := getJSON(t, s, addr, "/api/models/m1/channels/"+name, &c); code != 200 || int64(len(c.Min)) != w.Shape[0] {
		t.Fatalf("channels: %d, %d channels for %v", code, len(c.Min), w.Shape)
	}
	if slices.Min(c.Min) != st.Min || slices.Max(c.Max) != st.Max {
		t.Errorf("channels span [%v, %v], tensor [%v, %v]", slices.Min(c.Min), slices.Max(c.Max), st.Min, st.Max)
	}
	all, err := model.ReadValues(context.Background(), w, 0, model.MaxValuesPage)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{0, 1, st.Count - 50} {
		var p valuesAnswer
		if code := getJSON(t, s, addr, "/api/models/m1/values/"+name+"?offset="+strconv.FormatInt(off, 10)+"&count=50", &p); code != 200 || p.Offset != off || p.Count != 50 || p.Total != st.Count {
			t.Fatalf("page at %d: %d %+v", off, code, p)
		}
		for i, v := range p.Values {
			if f, ok := v.(float64); !ok || f != all[off+int64(i)] {
				t.Fatalf("page at %d: value %d is %v, want %v", off, i, v, all[off+int64(i)])
			}
		}
	}
	resp, body := do(t, authed(t, s, addr, "GET", "/api/models/m1/npy/"+name, nil))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), ".npy") {
		t.Fatalf("npy: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	descr, shape, data := parseNpy(t, []byte(body))
	if descr != "<f4" || !slices.Equal(shape, w.Shape) || int64(len(data)) != 4*st.Count {
		t.Fatalf("npy: %s %v, %d bytes", descr, shape, len(data))
	}
	for i, v := range all {
		if f := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])); float64(f) != v {
			t.Fatalf("npy value %d: %v, want %v", i, f, v)
		}
	}
	var p model.Params
	if code := getJSON(t, s, addr, "/api/models/m1/paramcount", &p); code != 200 || !reflect.DeepEqual(p, model.CountParams(m)) {
		t.Errorf("params: %d %+v", code, p.Total)
	}
}

// parseNpy reads a version 1 .npy file's dtype, shape and data.
func parseNpy(t *testing.T, b []byte) (string, []int64, []byte) {
	t.Helper()
	if len(b) < 10 || string(b[:8]) != "\x93NUMPY\x01\x00" {
		t.Fatalf("not an .npy file: %q", b[:min(len(b), 10)])
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if (10+n)%64 != 0 || len(b) < 10+n {
		t.Fatalf("npy header of %d bytes", n)
	}
	h := string(b[10 : 10+n])
	descr := h[strings.Index(h, "'descr': '")+10:]
	descr = descr[:strings.IndexByte(descr, '\'')]
	sh := h[strings.Index(h, "'shape': (")+10:]
	sh = sh[:strings.IndexByte(sh, ')')]
	var shape []int64
	for _, f := range strings.Split(sh, ",") {
		if f = strings.TrimSpace(f); f != "" {
			d, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatalf("npy shape %q", sh)
			}
			shape = append(shape, d)
		}
	}
	return descr, shape, b[10+n:]
}

// TestValueRoutesRefuse sends bad names, offsets and counts: each gets a
// 4xx, a huge count is cut to one page, and with every read slot taken a
// whole-tensor read answers 503 until one is free.
func TestValueRoutesRefuse(t *testing.T) {
	s, addr, m := openCorpus(t, "onnx/torchvision/mobilenet_v3_small.onnx", onnx.Open)
	name := url.PathEscape(m.Graph.Initializers[0].Name)
	for path, want := range map[string]int{
		"/api/models/m1/stats/no-such-tensor":                                  404,
		"/api/models/m1/stats/..%2f..%2f..%2fetc%2fpasswd":                     404,
		"/api/models/m1/npy/%2fetc%2fpasswd":                                   404,
		"/api/models/m1/values/" + name + "?offset=-1":                         400,
		"/api/models/m1/values/" + name + "?offset=9223372036854775807":        400,
		"/api/models/m1/values/" + name + "?offset=99999999999999999999999":    400,
		"/api/models/m1/values/" + name + "?count=x":                           400,
		"/api/models/m1/channels/" + name + "?axis=7":                          400,
		"/api/models/m1/channels/" + name + "?path=9.9":                        404,
		"/api/models/nope/paramcount":                                          404,
		"/api/models/m1/stats/" + name + "?path=" + strings.Repeat("0.0/", 70): 404,
	} {
		resp, body := do(t, authed(t, s, addr, "GET", path, nil))
		if resp.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
	var p valuesAnswer
	if code := getJSON(t, s, addr, "/api/models/m1/values/"+name+"?count=1000000000", &p); code != 200 || p.Count != min(model.MaxValuesPage, p.Total) {
		t.Errorf("huge count: %d, %d values of %d", code, p.Count, p.Total)
	}
	for range maxTensorReads {
		s.reads <- struct{}{}
	}
	resp, _ := do(t, authed(t, s, addr, "GET", "/api/models/m1/stats/"+name, nil))
	<-s.reads
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("reads full: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second) // a hang bound, 10x a read of this tensor
	if code := getJSON(t, s, addr, "/api/models/m1/stats/"+name, nil); code != 200 || time.Now().After(deadline) {
		t.Errorf("a free slot: %d", code)
	}
	for range maxTensorReads - 1 {
		<-s.reads
	}
}

// f32Tensor writes little-endian float32 values to a file and returns a
// tensor of them.
func f32Tensor(t *testing.T, name string, shape []int64, vs ...float32) *model.Tensor {
	t.Helper()
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	p := filepath.Join(t.TempDir(), name+".bin")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return &model.Tensor{Name: name, DType: "float32", Shape: shape, Location: &model.Location{File: p, Length: int64(len(b)), Encoding: model.EncRaw}}
}

// TestChannelAxisFollowsConsumer checks the default channel axis: the
// last of MatMul's B ([K, N]: N output channels), the first of Gemm's B
// with transB, and of a Conv weight.
func TestChannelAxisFollowsConsumer(t *testing.T) {
	vals := make([]float32, 15)
	for i := range vals {
		vals[i] = float32(i)
	}
	g := &model.Graph{
		Nodes: []*model.Node{
			{OpType: "MatMul", Inputs: []string{"x", "mm"}, Outputs: []string{"a"}},
			{OpType: "Gemm", Inputs: []string{"a", "gm"}, Outputs: []string{"b"}, Attrs: []model.Attribute{{Name: "transB", Type: model.AttrInt, Int: 1}}},
			{OpType: "Conv", Inputs: []string{"b", "cw"}, Outputs: []string{"c"}},
		},
		Initializers: []*model.Tensor{
			f32Tensor(t, "mm", []int64{3, 5}, vals...),
			f32Tensor(t, "gm", []int64{5, 3}, vals...),
			f32Tensor(t, "cw", []int64{3, 5, 1, 1}, vals...),
		},
	}
	lib := newFakeLib()
	lib.add("m1", "axes.onnx", &model.Model{Format: "onnx", Graph: g})
	s, addr := startServer(t, lib, nil)
	for name, want := range map[string]struct {
		axis int
		max  []float64
	}{"mm": {1, []float64{10, 11, 12, 13, 14}}, "gm": {0, []float64{2, 5, 8, 11, 14}}, "cw": {0, []float64{4, 9, 14}}} {
		var c model.Channels
		if code := getJSON(t, s, addr, "/api/models/m1/channels/"+name, &c); code != 200 || c.Axis != want.axis || !slices.Equal(c.Max, want.max) {
			t.Errorf("%s: %d, axis %d, max %v; want axis %d, max %v", name, code, c.Axis, c.Max, want.axis, want.max)
		}
	}
}

// TestValuesPageAtTheEndOfA4GiBTensor pages the last values of a 4 GiB
// tensor held in a sparse file: the page is read at its offset, not
// streamed from the start (a hang bound of 10 s, 10x a slow disk seek
// plus the request).
func TestValuesPageAtTheEndOfA4GiBTensor(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.bin")
	const size = 4 << 30
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, size); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	big := &model.Tensor{Name: "big", DType: "float32", Shape: []int64{size / 4}, Location: &model.Location{File: p, Length: size, Encoding: model.EncRaw}}
	lib := newFakeLib()
	lib.add("m1", "big.onnx", &model.Model{Format: "onnx", Graph: &model.Graph{Initializers: []*model.Tensor{big}}})
	s, addr := startServer(t, lib, nil)
	start := time.Now()
	var page valuesAnswer
	code := getJSON(t, s, addr, "/api/models/m1/values/big?offset="+strconv.FormatInt(size/4-10, 10)+"&count=64", &page)
	if d := time.Since(start); code != 200 || page.Count != 10 || page.Total != size/4 || d > 10*time.Second {
		t.Errorf("last page: %d, %d of %d values, in %v", code, page.Count, page.Total, d)
	}
}

// TestStatsOfHugeValues asks for the statistics of a float64 tensor whose
// sums overflow: the answer is still JSON, the overflowed figures spelled
// as strings.
func TestStatsOfHugeValues(t *testing.T) {
	b := make([]byte, 0, 32)
	for _, v := range []float64{1e308, -1e308, 1e308, 5} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	p := filepath.Join(t.TempDir(), "huge.bin")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tn := &model.Tensor{Name: "huge", DType: "float64", Shape: []int64{2, 2}, Location: &model.Location{File: p, Length: int64(len(b)), Encoding: model.EncRaw}}
	lib := newFakeLib()
	lib.add("m1", "huge.onnx", &model.Model{Format: "onnx", Graph: &model.Graph{Initializers: []*model.Tensor{tn}}})
	s, addr := startServer(t, lib, nil)
	var a struct {
		Stats map[string]any `json:"stats"`
	}
	if code := getJSON(t, s, addr, "/api/models/m1/stats/huge", &a); code != 200 || a.Stats["count"] != 4.0 || a.Stats["max"] != 1e308 {
		t.Fatalf("%d %v", code, a.Stats)
	}
	t.Logf("mean %v, std %v", a.Stats["mean"], a.Stats["std"])
}
