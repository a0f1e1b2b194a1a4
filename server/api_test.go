package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

func getJSON(t *testing.T, s *Server, addr, path string, v any) int {
	t.Helper()
	resp, body := do(t, authed(t, s, addr, "GET", path, nil))
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	checkHeaders(t, path, resp.Header)
	if v != nil {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode
}

func TestAPIModels(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	var list []map[string]any
	if code := getJSON(t, s, addr, "/api/models", &list); code != 200 || len(list) != 2 {
		t.Fatalf("list: %d %v", code, list)
	}
	for _, k := range []string{"id", "name", "path", "format", "version", "error", "watching"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("model info lacks %q: %v", k, list[0])
		}
	}

	resp, body := do(t, authed(t, s, addr, "GET", "/api/models/m1", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("model: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "<img") {
		t.Error("model strings reach the page unescaped")
	}
	var d struct {
		ID      string
		Model   map[string]any
		Summary struct {
			Nodes int
			Ops   map[string]int
		}
	}
	json.Unmarshal([]byte(body), &d)
	if d.ID != "m1" || d.Model["format"] != "onnx" || d.Model["producer"] != "test 1.0" || d.Summary.Nodes != 4 || d.Summary.Ops["Conv"] != 1 {
		t.Fatalf("model detail: %s", body)
	}
	for _, k := range []string{"format", "producer", "version", "description", "opsets", "metadata", "properties", "warnings", "files"} {
		if _, ok := d.Model[k]; !ok {
			t.Errorf("model lacks %q", k)
		}
	}

	var bad map[string]any
	if code := getJSON(t, s, addr, "/api/models/bad", &bad); code != 200 || bad["model"] != nil || bad["error"] == "" {
		t.Fatalf("failed model: %d %v", code, bad)
	}
	var e apiError
	if code := getJSON(t, s, addr, "/api/models/nope", &e); code != 404 || e.Error == "" {
		t.Fatalf("unknown model: %d %v", code, e)
	}
	if code := getJSON(t, s, addr, "/api/nope", &e); code != 404 {
		t.Fatalf("unknown route: %d", code)
	}
}

func TestAPIGraph(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	var v layout.View
	if code := getJSON(t, s, addr, "/api/models/m1/graph", &v); code != 200 || v.Stats.ModelNodes != 3 || v.Stats.TotalNodes != 3 {
		t.Fatalf("graph: %d %+v", code, v.Stats)
	}
	if code := getJSON(t, s, addr, "/api/models/m1/graph?path=2.0&expand=all", &v); code != 200 || v.Stats.TotalNodes != 1 {
		t.Fatalf("subgraph: %d %+v", code, v.Stats)
	}
	for _, p := range []string{"9.0", "2.1", "0.0", "x", "2.0/0.0", "-1.0", "2", "2.0/", strings.Repeat("2.0/", 70) + "2.0"} {
		var e apiError
		if code := getJSON(t, s, addr, "/api/models/m1/graph?path="+p, &e); code != 404 || e.Error == "" {
			t.Errorf("path %q: %d %v", p, code, e)
		}
	}
	var e apiError
	if code := getJSON(t, s, addr, "/api/models/bad/graph", &e); code != 422 || !strings.Contains(e.Error, "not a model file") {
		t.Errorf("graph of a failed model: %d %v", code, e)
	}

	plain, _ := do(t, authed(t, s, addr, "GET", "/api/models/m1/graph", nil))
	req := authed(t, s, addr, "GET", "/api/models/m1/graph", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, body := do(t, req)
	if resp.Header.Get("Content-Encoding") != "gzip" || plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("encodings %q / %q", resp.Header.Get("Content-Encoding"), plain.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if err := json.Unmarshal(unz, &v); err != nil || v.Stats.ModelNodes != 3 {
		t.Fatalf("gzip body: %v", err)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "GZIP": true, "deflate": false, "gzip; q=0.0": false} {
		req, _ := http.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Encoding", h)
		if acceptsGzip(req) != want {
			t.Errorf("%q: %v", h, !want)
		}
	}
}

func TestGraphCache(t *testing.T) {
	c := newGraphCache(2, nil)
	var calls atomic.Int32
	release := make(chan struct{})
	compute := func(ctx context.Context, w io.Writer) error {
		calls.Add(1)
		select {
		case <-release:
			_, err := w.Write([]byte(`{"x":1}`))
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	key := graphKey{id: "a", version: 1}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			gz, err := c.get(context.Background(), key, compute)
			raw, gerr := gunzip(gz)
			if err != nil || gerr != nil || string(raw) != `{"x":1}` {
				t.Errorf("get: %q %v %v", raw, err, gerr)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d computations for 5 concurrent requests", n)
	}
	c.get(context.Background(), key, compute)
	if n := calls.Load(); n != 1 {
		t.Fatal("cached layout recomputed")
	}

	// A request that leaves cancels the computation nobody else waits for.
	cancelled := make(chan struct{})
	slow := func(ctx context.Context, _ io.Writer) error {
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.get(ctx, graphKey{id: "b"}, slow); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	select {
	case <-cancelled:
	case <-time.After(2 * time.Second):
		t.Fatal("abandoned layout still running")
	}

	// Errors are not cached; panics become errors.
	boom := func(context.Context, io.Writer) error { calls.Add(1); panic("layout bug") }
	c.log = slogDiscard()
	for range 2 {
		if _, err := c.get(context.Background(), graphKey{id: "c"}, boom); err == nil {
			t.Fatal("no error from a panicking layout")
		}
	}
	// Eviction keeps at most 2 entries.
	for i := range 4 {
		c.get(context.Background(), graphKey{id: "d", version: i}, func(_ context.Context, w io.Writer) error {
			_, err := w.Write([]byte("{}"))
			return err
		})
	}
	c.mu.Lock()
	n := c.lru.Len()
	c.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d cached entries, want 2", n)
	}
	c.forgetBefore("d", 3)
	if c.lru.Len() != 1 {
		t.Fatal("forgetBefore kept an old version")
	}
	c.forget("d")
	if c.lru.Len() != 0 {
		t.Fatal("forget left entries")
	}
}

func TestAPINode(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	var d struct {
		Node    struct{ Op, Name string }
		Inputs  []valueRef
		Outputs []valueRef
	}
	if code := getJSON(t, s, addr, "/api/models/m1/node?index=0", &d); code != 200 {
		t.Fatalf("node: %d", code)
	}
	if d.Node.Op != "Conv" || len(d.Inputs) != 3 || len(d.Outputs) != 1 {
		t.Fatalf("node: %+v", d)
	}
	if d.Inputs[0].Type == nil || d.Inputs[0].Type.DType != "float32" || len(d.Inputs[0].Type.Shape) != 2 || d.Inputs[0].Tensor != nil {
		t.Errorf("input x: %+v", d.Inputs[0])
	}
	if d.Inputs[1].Tensor == nil || d.Inputs[1].Tensor.Name != "W" || d.Inputs[1].Type == nil || d.Inputs[1].Type.Shape.String() != "8×3" && len(d.Inputs[1].Type.Shape) != 2 {
		t.Errorf("input W: %+v", d.Inputs[1])
	}
	if d.Outputs[0].Type == nil || d.Outputs[0].Name != "c" {
		t.Errorf("output c from value_info: %+v", d.Outputs[0])
	}
	// Inside the If's subgraph: "r" comes from the outer graph (untyped),
	// t_out is typed by the subgraph's outputs.
	if code := getJSON(t, s, addr, "/api/models/m1/node?path=2.0&index=0", &d); code != 200 || d.Node.Op != "Identity" || d.Outputs[0].Type == nil {
		t.Fatalf("subgraph node: %d %+v", code, d)
	}
	for _, q := range []string{"index=3", "index=-1", "index=x", "", "path=5.0&index=0"} {
		if code := getJSON(t, s, addr, "/api/models/m1/node?"+q, nil); code != 404 {
			t.Errorf("%q: %d", q, code)
		}
	}
}

func TestAPITensor(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	var e apiError
	// The test tensors have no data, so a preview is impossible: 422.
	if code := getJSON(t, s, addr, "/api/models/m1/tensors/W", &e); code != 422 || e.Error == "" {
		t.Errorf("W: %d %v", code, e)
	}
	if code := getJSON(t, s, addr, "/api/models/m1/tensors/layer%2F1%2Fbias", &e); code != 422 {
		t.Errorf("name with slashes (escaped): %d %v", code, e)
	}
	if code := getJSON(t, s, addr, "/api/models/m1/tensors/layer/1/bias", &e); code != 422 {
		t.Errorf("name with slashes: %d %v", code, e)
	}
	if code := getJSON(t, s, addr, "/api/models/m1/tensors/nope", &e); code != 404 || !strings.Contains(e.Error, "nope") {
		t.Errorf("missing tensor: %d %v", code, e)
	}
	if code := getJSON(t, s, addr, "/api/models/m1/tensors/W?path=7.0", &e); code != 404 {
		t.Errorf("bad path: %d", code)
	}
}

func TestAPIMutations(t *testing.T) {
	lib := newFakeLib()
	s, addr := startServer(t, lib, nil)
	post := func(path, ctype, body string) int {
		req := authed(t, s, addr, "POST", path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, _ := do(t, req)
		return resp.StatusCode
	}
	if code := post("/api/models/m1/watch", "application/json", `{"on":false}`); code != 204 || lib.watching["m1"] {
		t.Fatalf("watch off: %d %v", code, lib.watching)
	}
	if code := post("/api/models/m1/watch", "application/json; charset=utf-8", `{"on":true}`); code != 204 || !lib.watching["m1"] {
		t.Fatalf("watch on: %d", code)
	}
	if code := post("/api/models/zz/watch", "application/json", `{"on":true}`); code != 404 {
		t.Fatalf("watch unknown: %d", code)
	}
	for _, c := range []struct {
		ctype, body string
		want        int
	}{
		{"text/plain", `{"on":true}`, 415}, {"", `{"on":true}`, 415},
		{"application/json", `{}`, 400}, {"application/json", `{"on":"yes"}`, 400}, {"application/json", strings.Repeat(" ", 5000) + `{"on":true}`, 400},
	} {
		if code := post("/api/watch", c.ctype, c.body); code != c.want {
			t.Errorf("watch %q %q: %d, want %d", c.ctype, c.body, code, c.want)
		}
	}
	if lib.global != nil {
		t.Fatal("a rejected request changed state")
	}
	if code := post("/api/watch", "application/json", `{"on":false}`); code != 204 || lib.global == nil || *lib.global {
		t.Fatalf("global watch: %d", code)
	}
	// GET never changes state.
	for _, p := range []string{"/api/watch", "/api/models/m1/watch", "/api/upload"} {
		resp, _ := do(t, authed(t, s, addr, "GET", p, nil))
		if resp.StatusCode != 405 && resp.StatusCode != 404 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	resp, _ := do(t, authed(t, s, addr, "DELETE", "/api/models/m1", nil))
	if resp.StatusCode != 204 || len(lib.closed) != 1 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	resp, _ = do(t, authed(t, s, addr, "DELETE", "/api/models/m1", nil))
	if resp.StatusCode != 404 {
		t.Fatalf("delete again: %d", resp.StatusCode)
	}
}

// A request waiting for a model load ends when the client leaves, and
// Stop does not wait for the load.
func TestWaitingRequestEnds(t *testing.T) {
	lib := newFakeLib()
	lib.block = make(chan struct{})
	defer close(lib.block)
	s, addr := startServer(t, lib, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req := authed(t, s, addr, "GET", "/api/models/m1/graph", nil).WithContext(ctx)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("request did not time out")
	}
	go func() {
		req := authed(t, s, addr, "GET", "/api/models/m1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	s.Stop(context.Background())
	// About 1 ms; 3 s (well under the hang it guards against: a Stop
	// waiting on the model forever) cannot be broken by load.
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Stop with a request waiting for a model took %v", d)
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestAPIFunctionGraphs: a model's function and entry graphs are reachable
// at path fN (and their node subgraphs below), listed in entries with the
// signature that runs them.
func TestAPIFunctionGraphs(t *testing.T) {
	lib := newFakeLib()
	m := tinyModel()
	fn := tinyModel().Graph
	fn.Name = "sub"
	m.Functions = []*model.Graph{fn}
	m.Signatures = []model.Signature{{Key: "add", Graph: ""}, {Key: "sub", Subgraph: 1, Graph: "f0"}}
	lib.add("m2", "sigs.tflite", m)
	s, addr := startServer(t, lib, nil)
	var v layout.View
	if code := getJSON(t, s, addr, "/api/models/m2/graph?path=f0", &v); code != 200 || v.Stats.ModelNodes != len(fn.Nodes) {
		t.Fatalf("function graph: %d %+v", code, v.Stats)
	}
	if code := getJSON(t, s, addr, "/api/models/m2/graph?path=f0/2.0&expand=all", &v); code != 200 || v.Stats.TotalNodes != 1 {
		t.Fatalf("a subgraph of the function graph: %d %+v", code, v.Stats)
	}
	for _, p := range []string{"f1", "f-1", "fx", "f", "2.0/f0"} {
		var e apiError
		if code := getJSON(t, s, addr, "/api/models/m2/graph?path="+p, &e); code != 404 || e.Error == "" {
			t.Errorf("path %q: %d %v", p, code, e)
		}
	}
	var d struct {
		Entries []entryGraph `json:"entries"`
	}
	if code := getJSON(t, s, addr, "/api/models/m2", &d); code != 200 || len(d.Entries) != 2 ||
		d.Entries[0].Signature != "add" || d.Entries[1].Path != "f0" || d.Entries[1].Signature != "sub" || d.Entries[1].Name != "sub" {
		t.Fatalf("entries: %d %+v", code, d.Entries)
	}
}
