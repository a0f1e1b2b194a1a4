package scale

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

// bigNodes is the node count of the big model (issue 26's largest case).
const bigNodes = 500_000

// maxRSS is the target for the server's resident memory with the big
// model open and drawn.
const maxRSS = 1 << 30

// writeBig writes a synthetic transformer of bigNodes nodes as ONNX
// (weights declared by shape, without data) and returns its path.
func writeBig(t *testing.T, dir string) string {
	t.Helper()
	g := layout.GenTransformer(bigNodes)
	data, err := fixture.EncodeONNX(&model.Model{Format: "onnx", Producer: "modelpeek scale test", Version: "8",
		Opsets: []model.Opset{{Version: 17}}, Graph: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "big.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d-node model: %.1f MB", bigNodes, float64(len(data))/1e6)
	return path
}

// writeHostile writes a small ONNX file claiming millions of nodes: four
// million empty node entries of two bytes each.
func writeHostile(t *testing.T, dir string) string {
	t.Helper()
	const n = 4_000_000
	g := make([]byte, 0, 2*n)
	for range n {
		g = protowire.AppendTag(g, 1, protowire.BytesType) // GraphProto.node
		g = protowire.AppendVarint(g, 0)
	}
	m := protowire.AppendTag(nil, 1, protowire.VarintType) // ir_version
	m = protowire.AppendVarint(m, 8)
	m = protowire.AppendTag(m, 7, protowire.BytesType) // graph
	m = protowire.AppendBytes(m, g)
	path := filepath.Join(dir, "hostile.onnx")
	if err := os.WriteFile(path, m, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// client logs in with the launch token, as a browser does.
func client(t *testing.T, s *proc.Server) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	// A hang bound: the big model's answers take seconds.
	c := &http.Client{Jar: jar, Timeout: 5 * time.Minute}
	resp, err := c.Get(s.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

// get fetches path and returns the status and the (gunzipped) body.
func get(t *testing.T, c *http.Client, s *proc.Server, path string) (int, []byte) {
	t.Helper()
	resp := request(t, c, s, path)
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// request asks for path as the page does (same origin, gzip taken) and
// returns the response, its body unread.
func request(t *testing.T, c *http.Client, s *proc.Server, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.Addr+path, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// waitLoaded polls the model list until it holds models models, none loading (a hang bound
// of 10x the expected minute on a busy 2-core machine).
func waitLoaded(t *testing.T, c *http.Client, s *proc.Server, models int) []server.ModelInfo {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		code, body := get(t, c, s, "/api/models")
		var list []server.ModelInfo
		if code != http.StatusOK || json.Unmarshal(body, &list) != nil {
			t.Fatalf("/api/models: %d %.200s", code, body)
		}
		done := len(list) == models
		for _, m := range list {
			done = done && !m.Loading && (m.Version > 0 || m.Error != "")
		}
		if done {
			return list
		}
	}
	t.Fatal("the models did not load")
	return nil
}

// wireView returns the view of a compact answer without its nodes, edges
// and groups (its JSON header: the stats are what the test checks).
func wireView(t *testing.T, b []byte) layout.View {
	t.Helper()
	if len(b) < 8 || string(b[:4]) != layout.WireMagic {
		t.Fatalf("no wire magic in %.20q", b)
	}
	n := int(binary.LittleEndian.Uint32(b[4:8]))
	var hdr struct {
		View  layout.View `json:"view"`
		Nodes int         `json:"nodes"`
	}
	if 8+n > len(b) || json.Unmarshal(b[8:8+n], &hdr) != nil {
		t.Fatalf("bad wire header (%d of %d bytes)", n, len(b))
	}
	return hdr.View
}

// procKB reads a "kB" field of /proc/PID/status.
func procKB(t testing.TB, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestHostileRefused: a small file claiming millions of nodes is refused
// as too large by the budget that lets real big graphs open.
func TestHostileRefused(t *testing.T) {
	s := proc.Serve(t, nil, writeHostile(t, t.TempDir()))
	defer s.Stop(t, syscall.SIGTERM, 10*time.Second)
	list := waitLoaded(t, client(t, s), s, 1)
	if !strings.Contains(list[0].Error, "too large") {
		t.Errorf("the hostile file: %+v, want a too-large error", list[0])
	}
}

// TestOpen500kNodes serves a 500,000-node ONNX model next to a small file
// claiming millions of nodes: the big model opens and its page views
// (default and expand=all) are served with every node laid out, the
// hostile file is refused as too large, and the server's RSS, at its
// peak while opening and laying out and once settled, stays within 1
// GiB. It takes about a minute on 2 busy cores, so it runs when
// MODELPEEK_SCALE=1.
func TestOpen500kNodes(t *testing.T) {
	if os.Getenv("MODELPEEK_SCALE") != "1" {
		t.Skip("MODELPEEK_SCALE=1 generates and opens a 500,000-node model")
	}
	dir := t.TempDir()
	big, hostile := writeBig(t, dir), writeHostile(t, dir)
	start := time.Now()
	var env []string
	if os.Getenv("MODELPEEK_LOG") == "debug" { // the server's log, shown at the end
		env = []string{"MODELPEEK_LOG=debug"}
	}
	s := proc.Serve(t, env, big, hostile)
	defer s.Stop(t, syscall.SIGTERM, 10*time.Second)
	c := client(t, s)
	list := waitLoaded(t, c, s, 2)
	loaded := time.Since(start)
	t.Logf("opened: peak RSS %d MiB so far (the warm-up of the views may have begun)", procKB(t, s.Pid(), "VmHWM")>>10)
	if list[0].Error != "" || list[0].Version != 1 {
		t.Fatalf("the big model did not open: %+v", list[0])
	}
	if !strings.Contains(list[1].Error, "too large") {
		t.Errorf("the hostile file: %+v, want a too-large error", list[1])
	}
	for _, q := range []string{"", "&expand=all"} { // as the page asks
		qs := time.Now()
		code, body := get(t, c, s, "/api/models/"+list[0].ID+"/graph?wire=1&path="+q)
		if code != http.StatusOK {
			t.Fatalf("graph%s: %d %.200s", q, code, body)
		}
		v := wireView(t, body)
		if v.Stats.TotalNodes != bigNodes || q != "" && v.Stats.ModelNodes+v.Stats.InlinedNodes != bigNodes {
			t.Errorf("graph%s: %d nodes, %d drawn + %d inlined, want %d", q, v.Stats.TotalNodes, v.Stats.ModelNodes, v.Stats.InlinedNodes, bigNodes)
		}
		t.Logf("graph%s: %d boxes drawn, %.1f MB of compact view, answered in %v; peak RSS %d MiB so far",
			q, v.Stats.ModelNodes+v.Stats.Stubs, float64(len(body))/1e6, time.Since(qs), procKB(t, s.Pid(), "VmHWM")>>10)
	}
	// After the warm-up the app returns the memory of the load and the
	// layouts to the OS; the RSS settles within a second or so (a hang
	// bound of a minute on a busy machine).
	rss := procKB(t, s.Pid(), "VmRSS") << 10
	for deadline := time.Now().Add(time.Minute); rss > maxRSS && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rss = procKB(t, s.Pid(), "VmRSS") << 10
	}
	peak := procKB(t, s.Pid(), "VmHWM") << 10
	if os.Getenv("MODELPEEK_LOG") == "debug" {
		t.Logf("server log:\n%s", s.Stderr())
	}
	t.Logf("%d nodes: opened in %v; server RSS %d MiB with it open and drawn (peak %d MiB; target %d MiB)", bigNodes, loaded, rss>>20, peak>>20, maxRSS>>20)
	if rss > maxRSS {
		t.Errorf("server RSS %d MiB with the model open, want at most %d MiB", rss>>20, maxRSS>>20)
	}
	// The peak covers the decode and the layouts of both views.
	if peak > maxRSS {
		t.Errorf("server peak RSS %d MiB while opening and laying out the model, want at most %d MiB", peak>>20, maxRSS>>20)
	}
}
