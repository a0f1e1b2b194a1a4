package proc

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ServingPrefix starts the first stdout line of `modelpeek serve` and of
// the tray app (DESIGN.md's command-line contract).
const ServingPrefix = "modelpeek: serving "

// servingDeadline bounds the wait for the serving line: the app prints it
// within about 50 ms; the bound only turns a hang into a clear failure.
const servingDeadline = 60 * time.Second

// Home is a private home for the app under test: recent files, autostart
// entries, caches and uploads land in its directories.
type Home struct {
	Dir string
	Tmp string
}

// NewHome makes a private home in the test's temporary directory.
func NewHome(t testing.TB) Home {
	t.Helper()
	return Home{Dir: t.TempDir(), Tmp: t.TempDir()}
}

// Env returns base (os.Environ() when nil) with HOME, the XDG directories
// and TMPDIR pointing into h, and MODELPEEK_LOG unset; extra entries are
// appended last, so they win.
func (h Home) Env(base []string, extra ...string) []string {
	if base == nil {
		base = os.Environ()
	}
	private := map[string]string{
		"HOME":            h.Dir,
		"XDG_CONFIG_HOME": filepath.Join(h.Dir, ".config"),
		"XDG_DATA_HOME":   filepath.Join(h.Dir, ".local", "share"),
		"XDG_STATE_HOME":  filepath.Join(h.Dir, ".local", "state"),
		"XDG_CACHE_HOME":  filepath.Join(h.Dir, ".cache"),
		"TMPDIR":          h.Tmp,
		"MODELPEEK_LOG":   "",
	}
	var env []string
	for _, e := range base {
		k, _, _ := strings.Cut(e, "=")
		if _, ok := private[k]; !ok {
			env = append(env, e)
		}
	}
	for k, v := range private {
		env = append(env, k+"="+v)
	}
	return append(env, extra...)
}

// Server is a running modelpeek that printed its serving line.
type Server struct {
	*Proc
	// URL is the printed URL, with the launch token.
	URL *url.URL
	// Addr is HOST:PORT, Port the port alone.
	Addr, Port string
	// Token is the launch token from the URL.
	Token string
	Home  Home
}

// Serve runs `modelpeek serve --no-browser --addr 127.0.0.1:0 ARGS...` in a
// private home (extra environment entries appended) and waits for its
// serving line. The process is killed at the end of the test if it still
// runs; Stop ends it the polite way.
func Serve(t testing.TB, extraEnv []string, args ...string) *Server {
	t.Helper()
	h := NewHome(t)
	cmd := exec.Command(Binary(t), append([]string{"serve", "--no-browser", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = h.Env(nil, extraEnv...)
	return StartServing(t, cmd, h)
}

// StartServing starts cmd (any modelpeek command line that serves) and
// waits for its serving line.
func StartServing(t testing.TB, cmd *exec.Cmd, h Home) *Server {
	t.Helper()
	p := Start(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), servingDeadline)
	defer cancel()
	s, err := p.Serving(ctx)
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, p.Stderr())
	}
	s.Home = h
	return s
}

// Serving waits for the serving line and parses it: a loopback http URL.
func (p *Proc) Serving(ctx context.Context) (*Server, error) {
	line, err := p.WaitLine(ctx, ServingPrefix)
	if err != nil {
		return nil, err
	}
	raw := strings.TrimSpace(strings.TrimPrefix(line, ServingPrefix))
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("serving line %q holds no http URL", line)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("serving on %q: not a loopback IP", u.Host)
	}
	_, port, _ := net.SplitHostPort(u.Host)
	return &Server{Proc: p, URL: u, Addr: u.Host, Port: port, Token: u.Query().Get("token")}, nil
}

// Stop sends sig and waits up to within for the process to exit, failing
// the test when it does not or exits with a non-zero status. It returns how
// long the exit took.
func (p *Proc) Stop(t testing.TB, sig syscall.Signal, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		select {
		case <-p.done:
		default:
			t.Fatalf("signal %v: %v", sig, err)
		}
	}
	code, at, err := p.Wait(within)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Errorf("exit status %d after %v; stderr:\n%s", code, sig, p.Stderr())
	}
	return at.Sub(start)
}
