package security

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// app is a running `modelpeek serve` under attack.
type app struct {
	*proc.Server
	addr   string // 127.0.0.1:port
	port   string
	token  string
	tmp    string // TMPDIR of the process: holds its upload directory
	cookie *http.Cookie
}

// start runs `modelpeek serve --no-browser --addr 127.0.0.1:0 FILE...` in
// a private HOME/TMPDIR and waits for its serving line.
func start(t testing.TB, files ...string) *app {
	t.Helper()
	s := proc.Serve(t, nil, files...)
	return &app{Server: s, addr: s.Addr, port: s.Port, token: s.Token, tmp: s.Home.Tmp}
}

// quit sends SIGTERM and returns how long the process took to exit (it
// must exit, with status 0, within the bound).
func (p *app) quit(t testing.TB, within time.Duration) time.Duration {
	t.Helper()
	return p.Stop(t, syscall.SIGTERM, within)
}

// session exchanges the launch token for the session cookie, as the
// browser does on the printed URL.
func (p *app) session(t testing.TB) *http.Cookie {
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
func (p *app) raw(t testing.TB, request string) rawResponse {
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
func (p *app) uploadDirs(t testing.TB) []string {
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
func (p *app) uploadFiles(t testing.TB) []string {
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
