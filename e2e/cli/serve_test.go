package cli

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

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// servingLine is the contract of the first stdout line (DESIGN.md).
var servingLine = regexp.MustCompile(`^modelpeek: serving (http://127\.0\.0\.1:\d+/)(\?token=[0-9a-f]{64})?$`)

// app is a running modelpeek binary.
type app struct {
	*proc.Server
	url  string // with the token
	base string // http://127.0.0.1:PORT
	tmp  string
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

func start(t *testing.T, args ...string) *app {
	t.Helper()
	tmp := t.TempDir()
	return startEnv(t, tmp, childEnv(t, tmp), args...)
}

func startEnv(t *testing.T, tmp string, env []string, args ...string) *app {
	t.Helper()
	cmd := exec.Command(proc.Binary(t), args...)
	cmd.Env = env
	s := proc.StartServing(t, cmd, proc.Home{Tmp: tmp})
	if servingLine.FindStringSubmatch(proc.ServingPrefix+s.URL.String()) == nil {
		t.Fatalf("serving URL %q does not match the contract", s.URL)
	}
	return &app{Server: s, url: s.URL.String(), base: "http://" + s.Addr, tmp: tmp}
}

// client logs in with the launch token, as a browser does.
func (p *app) client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(p.url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The token exchange redirects to the page without the token; it
	// names the first open model, if any, so the page asks for its graph
	// from its first bytes.
	q := resp.Request.URL.Query()
	if resp.StatusCode != 200 || q.Has("token") || len(q) > 1 || (len(q) == 1 && !q.Has("model")) {
		t.Fatalf("login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return c
}

// openStreams opens n SSE streams and waits for each first event.
func (p *app) openStreams(t *testing.T, c *http.Client, n int) []io.Closer {
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

// stop signals the process and returns how long it took to exit (a
// hang bound of 5 s, 10x the shutdown grace; status 0 required).
func (p *app) stop(t *testing.T, sig syscall.Signal) time.Duration {
	t.Helper()
	return p.Stop(t, sig, 5*time.Second)
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
	cmd := exec.Command(proc.Binary(t), "serve", "--no-browser", "--addr", ln.Addr().String())
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
	// The line comes once the tray host has been looked for, which may
	// be after the viewer answers (it failed once so in CI).
	fdWaitStderr(t, p.Proc, "no system tray")
	p.stop(t, syscall.SIGINT)
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
	cmd := exec.Command(proc.Binary(t), "serve")
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
	cmd := exec.Command(proc.Binary(t), f)
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
			t.Fatalf("the first instance did not open the file: %+v; stderr %s", list, p.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop(t, syscall.SIGTERM)
}
