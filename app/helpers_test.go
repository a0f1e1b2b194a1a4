package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeFormat decodes "FAKE" text files:
//
//	FAKE
//	nodes N        a chain of N Relu nodes
//	block          the parse blocks until the test's release channel closes,
//	               ignoring cancellation (a stuck parser)
//	panic          the decoder panics
//	fail           the decoder returns an error
type fakeFormat struct {
	release chan struct{}
}

func (f *fakeFormat) registry() *model.Registry {
	r := &model.Registry{}
	r.Register(model.Format{
		Name:       "fake",
		Extensions: []string{".fake"},
		Detect: func(head []byte, size int64) model.Confidence {
			if bytes.HasPrefix(head, []byte("FAKE")) {
				return model.Strong
			}
			return model.No
		},
		Open: f.open,
	})
	return r
}

func (f *fakeFormat) open(ctx context.Context, path string) (*model.Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g := &model.Graph{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "nodes":
			n, _ := strconv.Atoi(fields[1])
			for i := range n {
				g.Nodes = append(g.Nodes, &model.Node{OpType: "Relu", Inputs: []string{fmt.Sprint(i)}, Outputs: []string{fmt.Sprint(i + 1)}})
			}
		case "block":
			<-f.release
		case "panic":
			panic("decoder bug")
		case "fail":
			return nil, errors.New("fake: damaged file")
		}
	}
	return &model.Model{Format: "fake", Graph: g}, nil
}

type testApp struct {
	*App
	fmt     *fakeFormat
	dir     string // model files
	tmp     string // parent of the upload dir
	config  string
	opened  chan string
	cancel  context.CancelFunc
	waitErr chan error
}

func newTestApp(t *testing.T, mod func(*Options)) *testApp {
	t.Helper()
	ff := &fakeFormat{release: make(chan struct{})}
	ta := &testApp{fmt: ff, dir: t.TempDir(), tmp: t.TempDir(), config: t.TempDir(), opened: make(chan string, 10)}
	opts := Options{
		Version:   "test",
		ConfigDir: ta.config,
		TempDir:   ta.tmp,
		Registry:  ff.registry(),
		OpenURL:   func(u string) error { ta.opened <- u; return nil },
		Web:       fstest.MapFS{"index.html": {Data: []byte("<html>")}},
		Logger:    slog.New(slog.DiscardHandler),
		Server:    func(c *server.Config) { c.Heartbeat = time.Hour },
	}
	if mod != nil {
		mod(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ta.App, ta.cancel = a, cancel
	ta.waitErr = make(chan error, 1)
	go func() { ta.waitErr <- a.Wait() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ta.waitErr:
			ta.waitErr <- err
		case <-time.After(5 * time.Second):
			t.Error("app did not stop")
		}
		select {
		case <-ff.release:
		default:
			close(ff.release)
		}
	})
	return ta
}

// write writes a model file atomically (temporary file + rename).
func (ta *testApp) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(ta.dir, name)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// get waits for a model's first load.
func (ta *testApp) get(t *testing.T, id string) (server.ModelInfo, *model.Model) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, m, err := (*library)(ta.App).Get(ctx, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return info, m
}

// waitInfo polls the model list until cond holds for id.
func (ta *testApp) waitInfo(t *testing.T, id string, cond func(server.ModelInfo) bool) server.ModelInfo {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, info := range (*library)(ta.App).List() {
			if info.ID == id && cond(info) {
				return info
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("model %s: condition not met; list %+v", id, (*library)(ta.App).List())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// events connects to the viewer's SSE stream (with the bearer token).
func (ta *testApp) events(t *testing.T) (*bufio.Reader, func()) {
	t.Helper()
	addr := ta.Server().Addr()
	if addr == "" {
		t.Fatal("viewer not running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+ta.Server().Token())
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		t.Fatalf("events: %v %v", resp, err)
	}
	return bufio.NewReader(resp.Body), func() { cancel(); resp.Body.Close() }
}

// nextEvent returns the next event named name and its data.
func nextEvent(t *testing.T, br *bufio.Reader, name string) string {
	t.Helper()
	data, err := readEventData(br, name)
	if err != nil {
		t.Fatalf("waiting for event %q: %v", name, err)
	}
	return data
}

func readEventData(br *bufio.Reader, name string) (string, error) {
	var ev string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "event: ") {
			ev = strings.TrimPrefix(line, "event: ")
		}
		if strings.HasPrefix(line, "data: ") && ev == name {
			return strings.TrimPrefix(line, "data: "), nil
		}
	}
}

// api calls the viewer's API with the bearer token.
func (ta *testApp) api(t *testing.T, method, path string, body io.Reader, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+ta.Server().Addr()+path, body)
	req.Header.Set("Authorization", "Bearer "+ta.Server().Token())
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// slowUpload starts an upload that sends its headers and 1 KiB of a
// 1 MiB body, then goes silent. It returns a closer.
func slowUpload(t *testing.T, ta *testApp) func() {
	t.Helper()
	c, err := net.Dial("tcp", ta.Server().Addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /api/upload HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 1048576\r\nX-Filename: slow.fake\r\n\r\n",
		ta.Server().Addr(), ta.Server().Token())
	c.Write(make([]byte, 1024))
	return func() { c.Close() }
}
