package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// binary is the modelpeek binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "modelpeek-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "modelpeek")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building modelpeek: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndVersion(t *testing.T) {
	cases := []struct {
		args       []string
		code       int
		out, err   string
		emptyOther bool
	}{
		{[]string{"--help"}, 0, "Usage:", "", true},
		{[]string{"-h"}, 0, "Usage:", "", true},
		{[]string{"help"}, 0, "Usage:", "", true},
		{[]string{"serve", "--help"}, 0, "Usage:", "", true},
		{[]string{"inspect", "-help"}, 0, "Usage:", "", true},
		{[]string{"version"}, 0, "modelpeek ", "", true},
		{[]string{"--bogus"}, 2, "", "Usage:", true},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined: -bogus", true},
		{[]string{"serve", "--addr"}, 2, "", "flag needs an argument", true},
		{[]string{"--addr", "127.0.0.1:0"}, 2, "", "Usage:", true},
		{[]string{"inspect"}, 2, "", "exactly one FILE", true},
		{[]string{"inspect", "a", "b"}, 2, "", "exactly one FILE", true},
		{[]string{"inspect", "--yaml", "a"}, 2, "", "Usage:", true},
		{[]string{"version", "x"}, 2, "", "Usage:", true},
		{[]string{"autostart"}, 2, "", "Usage:", true},
		{[]string{"autostart", "maybe"}, 2, "", "Usage:", true},
	}
	for _, c := range cases {
		code, out, errs := runCLI(c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
			t.Errorf("%v: exit %d, stdout %.60q, stderr %.80q", c.args, code, out, errs)
		}
		if c.emptyOther && (c.code == 0 && errs != "" || c.code != 0 && out != "") {
			t.Errorf("%v: unexpected output: stdout %.60q stderr %.60q", c.args, out, errs)
		}
	}
}

func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.onnx")
	os.WriteFile(junk, []byte("this is not a model\n"), 0o644)
	empty := filepath.Join(dir, "empty.bin")
	os.WriteFile(empty, nil, 0o644)
	for _, f := range []string{junk, empty, dir, filepath.Join(dir, "missing.onnx")} {
		code, out, errs := runCLI("inspect", f)
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "modelpeek: ") {
			t.Errorf("inspect %s: exit %d, stdout %q, stderr %q", f, code, out, errs)
		}
	}
}

// manifestEntry is the part of the corpus manifest this test reads.
type manifestEntry struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Facts  struct {
		Nodes *int           `json:"node_count_including_subgraphs"`
		Ops   map[string]int `json:"op_type_histogram_top_level"`
	} `json:"facts"`
}

// TestInspectCorpus runs inspect --json over the corpus's ONNX files and
// checks node counts and op histograms against the manifest.
func TestInspectCorpus(t *testing.T) {
	corpus := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(corpus, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []manifestEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	checked, unknown := 0, 0
	for _, e := range entries {
		if e.Format != "onnx" || e.Facts.Nodes == nil {
			continue
		}
		code, out, errs := runCLI("inspect", "--json", filepath.Join(corpus, e.Path))
		if code != 0 {
			if strings.Contains(errs, "not a model file I know") {
				unknown++
				continue
			}
			t.Errorf("%s: exit %d: %s", e.Path, code, errs)
			continue
		}
		var s struct {
			Format string
			Nodes  int
			Ops    map[string]int
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Errorf("%s: %v", e.Path, err)
			continue
		}
		if s.Format != "onnx" || s.Nodes != *e.Facts.Nodes {
			t.Errorf("%s: format %s, %d nodes; manifest: %d", e.Path, s.Format, s.Nodes, *e.Facts.Nodes)
		}
		if e.Facts.Ops != nil && !mapsEqual(s.Ops, e.Facts.Ops) {
			t.Errorf("%s: ops %v, manifest %v", e.Path, s.Ops, e.Facts.Ops)
		}
		checked++
	}
	if checked == 0 {
		testenv.Skip(t, "the ONNX decoder recognises none of the %d corpus files yet", unknown)
	}
	t.Logf("inspect agrees with the manifest on %d ONNX files (%d not recognised)", checked, unknown)
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

var servingLine = regexp.MustCompile(`^modelpeek: serving (http://127\.0\.0\.1:\d+/)(\?token=[0-9a-f]{64})?\n$`)

// proc is a running modelpeek binary.
type proc struct {
	cmd    *exec.Cmd
	url    string // with the token
	base   string // http://127.0.0.1:PORT
	stderr *bytes.Buffer
	tmp    string
}

// env isolates a child from the user's config, temp dir, tray and browser.
func childEnv(t *testing.T, tmp string) []string {
	env := []string{
		"HOME=" + t.TempDir(),
		"XDG_CONFIG_HOME=" + t.TempDir(),
		"TMPDIR=" + tmp,
		"PATH=" + os.Getenv("PATH"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent",
		"DISPLAY=",
		"GORACE=atexit_sleep_ms=0",
		"BROWSER=true",
	}
	return env
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	tmp := t.TempDir()
	return startEnv(t, tmp, childEnv(t, tmp), args...)
}

func startEnv(t *testing.T, tmp string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lineCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lineCh <- line
		io.Copy(io.Discard, out)
	}()
	var line string
	select {
	case line = <-lineCh:
	case <-time.After(10 * time.Second):
		t.Fatalf("no serving line; stderr: %s", stderr.String())
	}
	m := servingLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first stdout line %q; stderr: %s", line, stderr.String())
	}
	return &proc{cmd: cmd, url: strings.TrimSuffix(line, "\n")[len("modelpeek: serving "):], base: strings.TrimSuffix(m[1], "/"), stderr: &stderr, tmp: tmp}
}

// client logs in with the launch token, as a browser does.
func (p *proc) client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(p.url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.RawQuery != "" {
		t.Fatalf("login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return c
}

// openStreams opens n SSE streams and waits for each first event.
func (p *proc) openStreams(t *testing.T, c *http.Client, n int) []io.Closer {
	t.Helper()
	u, _ := http.NewRequest("GET", p.base+"/api/events", nil)
	cookies := c.Jar.Cookies(u.URL)
	var streams []io.Closer
	for range n {
		conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /api/events HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nSec-Fetch-Site: same-origin\r\n\r\n",
			strings.TrimPrefix(p.base, "http://"), cookies[0].String())
		br := bufio.NewReader(conn)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if strings.HasPrefix(line, "event: models") {
				break
			}
		}
		conn.SetReadDeadline(time.Time{})
		streams = append(streams, conn)
	}
	return streams
}

// stop signals the process and returns how long it took to exit.
func (p *proc) stop(t *testing.T, sig syscall.Signal) time.Duration {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		took := time.Since(start)
		if err != nil {
			t.Fatalf("exit after %v: %v; stderr: %s", sig, err, p.stderr.String())
		}
		return took
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after %v", sig)
		return 0
	}
}

// TestQuitLatency: serve with 50 open SSE streams, then SIGTERM or
// SIGINT; the process exits 0 within 1 s. Twenty runs, median reported.
func TestQuitLatency(t *testing.T) {
	var times []time.Duration
	for i := range 20 {
		sig := syscall.SIGTERM
		if i%2 == 1 {
			sig = syscall.SIGINT
		}
		p := start(t, "serve", "--no-browser")
		c := p.client(t)
		streams := p.openStreams(t, c, 50)
		took := p.stop(t, sig)
		for _, s := range streams {
			s.Close()
		}
		if took > time.Second {
			t.Errorf("run %d (%v): exit took %v", i, sig, took)
		}
		times = append(times, took)
		if left, _ := filepath.Glob(filepath.Join(p.tmp, "modelpeek-upload-*")); len(left) != 0 {
			t.Errorf("upload dir left behind: %v", left)
		}
	}
	slices.Sort(times)
	t.Logf("quit latency with 50 SSE streams over 20 runs: median %v, min %v, max %v",
		(times[9]+times[10])/2, times[0], times[19])
}

func TestServeBusyAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(binary, "serve", "--no-browser", "--addr", ln.Addr().String())
	cmd.Env = childEnv(t, t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d (%v)", code, err)
	}
	if out.Len() != 0 || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "already in use") {
		t.Fatalf("stdout %q, stderr %q", out.String(), errb.String())
	}
}

func TestServeFileAndUpload(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "notes.onnx")
	os.WriteFile(f, []byte("not really a model"), 0o644)
	p := start(t, "serve", "--no-browser", f)
	c := p.client(t)
	var list []struct{ ID, Name, Path, Error string }
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.Get(p.base + "/api/models")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list) == 1 && list[0].Error != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(list) != 1 || list[0].Path != f || list[0].Error == "" {
		t.Fatalf("models %+v", list)
	}
	// No debug or profiling routes.
	for _, path := range []string{"/debug/pprof/", "/debug/vars", "/debug/pprof/goroutine"} {
		resp, err := c.Get(p.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	// Without the cookie: refused.
	resp, err := http.Get(p.base + "/api/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("API without session: %d", resp.StatusCode)
	}
	// An upload lands in a private temp dir that is gone after exit.
	req, _ := http.NewRequest("POST", p.base+"/api/upload", strings.NewReader("hello"))
	req.Header.Set("X-Filename", "dropped.onnx")
	req.Header.Set("Origin", p.base)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	dirs, _ := filepath.Glob(filepath.Join(p.tmp, "modelpeek-upload-*"))
	if len(dirs) != 1 {
		t.Fatalf("upload dirs %v", dirs)
	}
	if fi, err := os.Stat(dirs[0]); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("upload dir %v %v", fi.Mode(), err)
	}
	p.stop(t, syscall.SIGTERM)
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Fatal("upload dir left after exit")
	}
}

// Without a subcommand and without a tray host, modelpeek says so and
// serves like "serve".
func TestTrayFallback(t *testing.T) {
	p := start(t, "--no-browser")
	c := p.client(t)
	resp, err := c.Get(p.base + "/api/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("models: %d", resp.StatusCode)
	}
	p.stop(t, syscall.SIGINT)
	if s := p.stderr.String(); !strings.Contains(s, "tray") {
		t.Fatalf("stderr %q does not mention the missing tray", s)
	}
}

// The browser is opened at the printed URL unless --no-browser.
func TestOpensBrowser(t *testing.T) {
	if _, err := exec.LookPath("xdg-open"); err != nil {
		testenv.Skip(t, "xdg-open not found (install Debian package xdg-utils)")
	}
	tmp := t.TempDir()
	got := filepath.Join(tmp, "url")
	script := filepath.Join(tmp, "fake-browser")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+got+"\n"), 0o755)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(childEnv(t, tmp), "BROWSER="+script)
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	var url []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if url, _ = os.ReadFile(got); len(url) > 0 {
			break
		}
	}
	if want := strings.TrimSpace(strings.TrimPrefix(line, "modelpeek: serving ")); !strings.HasPrefix(string(url), want) {
		t.Fatalf("browser opened %q, serving line %q; stderr %s", url, line, stderr.String())
	}
}

// A second launch of the tray app hands its file to the first and exits.
func TestSecondLaunchForwards(t *testing.T) {
	tmp := t.TempDir()
	env := childEnv(t, tmp)
	p := startEnv(t, tmp, env, "--no-browser")
	f := filepath.Join(t.TempDir(), "second.onnx")
	os.WriteFile(f, []byte("not a model"), 0o644)
	cmd := exec.Command(binary, f)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "handed over") {
		t.Fatalf("second launch: %v: %s", err, out)
	}
	t.Logf("second launch handed over and exited in %v", time.Since(start))
	c := p.client(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.Get(p.base + "/api/models")
		if err != nil {
			t.Fatal(err)
		}
		var list []struct{ Path string }
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list) > 0 && list[len(list)-1].Path == f {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first instance did not open the file: %+v; stderr %s", list, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop(t, syscall.SIGTERM)
}

// The binary links no profiling or debug handlers.
func TestNoDebugPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "net/http/pprof" || pkg == "expvar" || pkg == "golang.org/x/net/trace" {
			t.Errorf("modelpeek links %s", pkg)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "8G": 8 << 30, "512m": 512 << 20, "3K": 3072, "1T": 1 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-1", "G", "1.5G", "x", "99999999999T", "8GB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
