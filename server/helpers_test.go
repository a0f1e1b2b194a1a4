package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/model"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeLib is an in-memory Library.
type fakeLib struct {
	mu       sync.Mutex
	infos    []ModelInfo
	models   map[string]*model.Model
	block    chan struct{} // when set, Get waits on it
	closed   []string
	watching map[string]bool
	global   *bool
	uploads  []Upload
	calls    int // every call, for spy tests
}

func newFakeLib() *fakeLib {
	l := &fakeLib{models: map[string]*model.Model{}, watching: map[string]bool{}}
	l.add("m1", "tiny.onnx", tinyModel())
	l.add("bad", "bad.onnx", nil)
	return l
}

func (l *fakeLib) add(id, name string, m *model.Model) {
	info := ModelInfo{ID: id, Name: name, Path: "/models/" + name, Format: "onnx", Version: 1}
	if m == nil {
		info.Version = 0
		info.Error = "bad.onnx: not a model file I know"
	}
	l.infos = append(l.infos, info)
	l.models[id] = m
}

func (l *fakeLib) List() []ModelInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	return append([]ModelInfo(nil), l.infos...)
}

func (l *fakeLib) Get(ctx context.Context, id string) (ModelInfo, *model.Model, error) {
	l.mu.Lock()
	l.calls++
	block := l.block
	l.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ModelInfo{}, nil, ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, info := range l.infos {
		if info.ID == id {
			return info, l.models[id], nil
		}
	}
	return ModelInfo{}, nil, ErrNotFound
}

func (l *fakeLib) Close(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	for i, info := range l.infos {
		if info.ID == id {
			l.infos = append(l.infos[:i], l.infos[i+1:]...)
			l.closed = append(l.closed, id)
			return nil
		}
	}
	return ErrNotFound
}

func (l *fakeLib) SetModelWatching(id string, on bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if _, ok := l.models[id]; !ok {
		return ErrNotFound
	}
	l.watching[id] = on
	return nil
}

func (l *fakeLib) SetWatching(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	l.global = &on
}

func (l *fakeLib) AddUploads(files []Upload) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	var ids []string
	for _, f := range files {
		l.uploads = append(l.uploads, f)
		ids = append(ids, "u"+f.Name)
	}
	return ids, nil
}

func (l *fakeLib) callCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

// tinyModel: x -> Conv(W) -> Relu -> If(then: Identity) -> y
func tinyModel() *model.Model {
	f32 := func(dims ...int64) *model.Type {
		return &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.ShapeOf(dims)}
	}
	then := &model.Graph{
		Name:    "then",
		Outputs: []*model.Value{{Name: "t_out", Type: f32(1, 8)}},
		Nodes:   []*model.Node{{Name: "inner", OpType: "Identity", Inputs: []string{"r"}, Outputs: []string{"t_out"}}},
	}
	return &model.Model{
		Format:   "onnx",
		Producer: "test 1.0",
		Version:  "8",
		Metadata: map[string]string{"k": "<img src=x onerror=alert(1)>"},
		Files:    []string{"/models/tiny.onnx"},
		Graph: &model.Graph{
			Name:      "main",
			Inputs:    []*model.Value{{Name: "x", Type: f32(1, 3)}},
			Outputs:   []*model.Value{{Name: "y", Type: f32(1, 8)}},
			ValueInfo: []*model.Value{{Name: "c", Type: f32(1, 8)}},
			Initializers: []*model.Tensor{
				{Name: "W", DType: "float32", Shape: []int64{8, 3}},
				{Name: "layer/1/bias", DType: "float32", Shape: []int64{8}},
			},
			Nodes: []*model.Node{
				{Name: "conv", OpType: "Conv", Inputs: []string{"x", "W", "layer/1/bias"}, Outputs: []string{"c"}},
				{Name: "relu", OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
				{Name: "if", OpType: "If", Inputs: []string{"cond"}, Outputs: []string{"y"},
					Attrs: []model.Attribute{{Name: "then_branch", Type: model.AttrGraph, Graphs: []*model.Graph{then}}}},
			},
		},
	}
}

var testWeb = fstest.MapFS{
	"index.html":  {Data: []byte("<!doctype html><title>modelpeek</title>")},
	"app.js":      {Data: []byte("console.log(1)")},
	"big.bin":     {Data: make([]byte, 32<<20)},
	"sub/x.js":    {Data: []byte("x")},
	".hidden.txt": {Data: []byte("h")},
}

// startServer starts a server with test-friendly settings.
func startServer(t testing.TB, lib Library, mod func(*Config)) (*Server, string) {
	t.Helper()
	cfg := Config{Library: lib, Web: testWeb, Token: "tok", UploadDir: t.TempDir(), Heartbeat: 50 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s, addr
}

// sessionCookie is the cookie a browser gets for s at addr.
func sessionCookie(s *Server, addr string) *http.Cookie {
	_, port, _ := net.SplitHostPort(addr)
	return &http.Cookie{Name: cookiePrefix + port, Value: s.session}
}

// authed builds a same-origin request with the session cookie.
func authed(t testing.TB, s *Server, addr, method, path string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(sessionCookie(s, addr))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "http://"+addr)
	return req
}

func do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	c := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{DisableCompression: true, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// openFDs counts this process's open file descriptors (Linux).
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd on this system")
	}
	return len(ents)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
