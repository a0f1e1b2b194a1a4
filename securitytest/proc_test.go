package securitytest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// modelpeekBinary builds modelpeek once per test run and returns its path.
func modelpeekBinary(t testing.TB) string {
	t.Helper()
	gobin := testenv.LookPath(t, "go", "golang-go")
	root := testenv.Root(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "modelpeek-securitytest-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "modelpeek")
		cmd := exec.Command(gobin, "build", "-o", binPath, ".")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running `modelpeek serve`.
type proc struct {
	t       testing.TB
	cmd     *exec.Cmd
	addr    string // 127.0.0.1:port
	port    string
	token   string
	tmp     string // TMPDIR of the process: holds its upload directory
	stderr  *syncBuffer
	exited  chan struct{}
	waitErr error
	cookie  *http.Cookie
}

// syncBuffer collects a process's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs `modelpeek serve --no-browser --addr 127.0.0.1:0 FILE...` in
// a private HOME/TMPDIR and waits for its serving line.
func start(t testing.TB, files ...string) *proc {
	t.Helper()
	bin := modelpeekBinary(t)
	home := t.TempDir()
	tmp := t.TempDir()
	args := append([]string{"serve", "--no-browser", "--addr", "127.0.0.1:0"}, files...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "TMPDIR="+tmp,
		"MODELPEEK_LOG=",
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, tmp: tmp, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	var line string
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("modelpeek printed no serving line; stderr:\n%s", p.stderr)
		}
		line = l
	case <-time.After(60 * time.Second):
		t.Fatalf("no serving line after 60s; stderr:\n%s", p.stderr)
	}
	rest, ok := strings.CutPrefix(line, "modelpeek: serving ")
	if !ok {
		t.Fatalf("first stdout line %q is not the serving line", line)
	}
	u, err := url.Parse(rest)
	if err != nil {
		t.Fatalf("serving URL %q: %v", rest, err)
	}
	p.addr = u.Host
	_, p.port, _ = net.SplitHostPort(u.Host)
	p.token = u.Query().Get("token")
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		t.Fatalf("serving on %q: not a loopback IP", u.Host)
	}
	return p
}

// kill ends the process if it still runs (test cleanup).
func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// quit sends SIGTERM and returns how long the process took to exit.
func (p *proc) quit(t testing.TB, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		return time.Since(start)
	case <-time.After(within):
		d := time.Since(start)
		t.Errorf("modelpeek still running %v after SIGTERM; stderr:\n%s", d.Round(time.Millisecond), p.stderr)
		p.cmd.Process.Kill()
		<-p.exited
		return d
	}
}

// session exchanges the launch token for the session cookie, as the
// browser does on the printed URL.
func (p *proc) session(t testing.TB) *http.Cookie {
	t.Helper()
	if p.cookie != nil {
		return p.cookie
	}
	resp := p.raw(t, "GET /?token="+p.token+" HTTP/1.1\r\nHost: "+p.addr+"\r\nSec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\n\r\n")
	if resp.status != http.StatusSeeOther {
		t.Fatalf("token exchange: status %d, want 303", resp.status)
	}
	for _, c := range (&http.Response{Header: resp.header}).Cookies() {
		if strings.Contains(c.Name, p.port) {
			p.cookie = c
		}
	}
	if p.cookie == nil {
		t.Fatalf("token exchange set no session cookie: %v", resp.header["Set-Cookie"])
	}
	return p.cookie
}

// rawResponse is an answer read from a raw connection.
type rawResponse struct {
	status int
	header http.Header
	body   string
	err    error // connection closed or timed out before an answer
}

// raw writes request bytes as they are on a new connection and reads one
// response (status 0 and err set when the server closes without one).
func (p *proc) raw(t testing.TB, request string) rawResponse {
	t.Helper()
	return rawTo(t, p.addr, request)
}

func rawTo(t testing.TB, addr, request string) rawResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		return rawResponse{err: err}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return rawResponse{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// client is an HTTP client that never follows redirects.
func client() *http.Client {
	return &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: true},
	}
}

// uploadDirs returns the upload directories under the process's TMPDIR.
func (p *proc) uploadDirs(t testing.TB) []string {
	t.Helper()
	es, err := os.ReadDir(p.tmp)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), "modelpeek-upload-") {
			dirs = append(dirs, filepath.Join(p.tmp, e.Name()))
		}
	}
	return dirs
}

// uploadFiles lists every file in the process's upload directories.
func (p *proc) uploadFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, d := range p.uploadDirs(t) {
		es, _ := os.ReadDir(d)
		for _, e := range es {
			files = append(files, e.Name())
		}
	}
	return files
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
