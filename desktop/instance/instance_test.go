//go:build linux

package instance

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv("INSTANCE_TEST_CLIENT") != "" { // a forwarding client in a child process
		err := forwardSocket(os.Getenv("INSTANCE_TEST_CLIENT"), Request{Paths: []string{"/x"}})
		if err != nil {
			os.Stdout.WriteString("refused: " + err.Error() + "\n")
			os.Exit(3)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

type recorder struct {
	mu   sync.Mutex
	reqs []Request
	got  chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 100)} }

func (r *recorder) handle(req Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) wait(t *testing.T) Request {
	t.Helper()
	select {
	case <-r.got:
	case <-time.After(5 * time.Second):
		t.Fatal("primary never got the request")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

func TestSocketForward(t *testing.T) {
	opts := Options{BusAddress: "none", Dir: t.TempDir()}
	rec := newRecorder()
	p, err := Acquire(opts, Request{}, rec.handle, nil)
	if err != nil || p.Via != "socket" {
		t.Fatalf("first Acquire = %v, %v", p, err)
	}
	defer p.Close()
	start := time.Now()
	_, err = Acquire(opts, Request{Paths: []string{"/a/m.onnx", "/b/w.gguf"}}, nil, nil)
	if !errors.Is(err, ErrForwarded) {
		t.Fatalf("second Acquire = %v, want ErrForwarded", err)
	}
	t.Logf("forward took %v", time.Since(start))
	if got := rec.wait(t); strings.Join(got.Paths, ",") != "/a/m.onnx,/b/w.gguf" {
		t.Fatalf("primary got %v", got.Paths)
	}
	if fi, _ := os.Stat(opts.Dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("socket dir mode %v, want 0700", fi.Mode().Perm())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close the next launch becomes primary.
	p2, err := Acquire(opts, Request{}, rec.handle, nil)
	if err != nil {
		t.Fatalf("Acquire after Close: %v", err)
	}
	p2.Close()
}

func TestStaleSocketReplaced(t *testing.T) {
	dir := t.TempDir()
	// A crashed primary leaves its socket file behind (no listener, no lock).
	ln, err := net.Listen("unix", filepath.Join(dir, "instance.sock"))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(filepath.Join(dir, "instance.sock")); err != nil {
		t.Fatal("stale socket not left behind:", err)
	}
	rec := newRecorder()
	p, err := Acquire(Options{BusAddress: "none", Dir: dir}, Request{}, rec.handle, nil)
	if err != nil {
		t.Fatalf("Acquire with a stale socket: %v", err)
	}
	defer p.Close()
	if _, err := Acquire(Options{BusAddress: "none", Dir: dir}, Request{Paths: []string{"/m"}}, nil, nil); !errors.Is(err, ErrForwarded) {
		t.Fatalf("forward after recovery = %v", err)
	}
	rec.wait(t)
}

func TestForgedRequestsRefused(t *testing.T) {
	dir := t.TempDir()
	rec := newRecorder()
	p, err := Acquire(Options{BusAddress: "none", Dir: dir}, Request{}, rec.handle, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, body := range []string{"garbage\n", `{"paths":["relative/x"]}` + "\n", strings.Repeat("[", 1<<16)} {
		c, err := net.Dial("unix", filepath.Join(dir, "instance.sock"))
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(body))
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if !strings.HasPrefix(line, "error:") {
			t.Errorf("request %.20q answered %q, want an error", body, line)
		}
	}
	select {
	case <-rec.got:
		t.Fatal("a forged request reached the handler")
	default:
	}
}

func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		testenv.Skip(t, "needs root to run a client as another user")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	rec := newRecorder()
	p, err := Acquire(Options{BusAddress: "none", Dir: dir}, Request{}, rec.handle, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sock := filepath.Join(dir, "instance.sock")
	exe := copyExecutable(t)
	run := func() (string, error) {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "INSTANCE_TEST_CLIENT="+sock)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The 0700 directory keeps the other user out.
	if out, err := run(); err == nil {
		t.Fatalf("another user reached the primary through the 0700 dir: %s", out)
	}
	// Even with the directory and socket opened up, SO_PEERCRED refuses.
	os.Chmod(dir, 0o777)
	os.Chmod(sock, 0o777)
	out, err := run()
	if err == nil || !strings.Contains(out, "not ours") {
		t.Fatalf("another user's request: err=%v out=%s, want refusal by uid", err, out)
	}
	select {
	case <-rec.got:
		t.Fatal("another user's request reached the handler")
	default:
	}
}

func TestBusForward(t *testing.T) {
	addr := dbustest.StartBus(t)
	rec := newRecorder()
	opts := Options{BusAddress: addr, Dir: t.TempDir()}
	p, err := Acquire(opts, Request{}, rec.handle, nil)
	if err != nil || p.Via != "dbus" {
		t.Fatalf("first Acquire = %+v, %v", p, err)
	}
	defer p.Close()
	start := time.Now()
	if _, err := Acquire(opts, Request{Paths: []string{"/m/a.onnx"}}, nil, nil); !errors.Is(err, ErrForwarded) {
		t.Fatalf("second Acquire = %v", err)
	}
	t.Logf("forward over D-Bus took %v", time.Since(start))
	if got := rec.wait(t); len(got.Paths) != 1 || got.Paths[0] != "/m/a.onnx" {
		t.Fatalf("got %v", got)
	}
	if _, err := Acquire(opts, Request{Quit: true}, nil, nil); !errors.Is(err, ErrForwarded) {
		t.Fatal(err)
	}
	if got := rec.wait(t); !got.Quit {
		t.Fatal("quit not forwarded")
	}
}

// --no-browser travels with the files, over the bus and the socket.
func TestNoBrowserForwarded(t *testing.T) {
	for name, opts := range map[string]Options{
		"socket": {BusAddress: "none", Dir: t.TempDir()},
		"dbus":   {BusAddress: dbustest.StartBus(t), Dir: t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder()
			p, err := Acquire(opts, Request{}, rec.handle, nil)
			if err != nil || p.Via != name {
				t.Fatalf("first Acquire = %+v, %v", p, err)
			}
			defer p.Close()
			for _, nb := range []bool{true, false} {
				if _, err := Acquire(opts, Request{Paths: []string{"/m/a.onnx"}, NoBrowser: nb}, nil, nil); !errors.Is(err, ErrForwarded) {
					t.Fatalf("second Acquire = %v", err)
				}
				if got := rec.wait(t); got.NoBrowser != nb || len(got.Paths) != 1 || got.Paths[0] != "/m/a.onnx" {
					t.Errorf("NoBrowser %v: primary got %+v", nb, got)
				}
			}
		})
	}
}

// oldPrimary is a primary from before OpenWith: it only has Open.
type oldPrimary struct{ got chan []string }

func (o oldPrimary) Open(paths []string, cwd string) *dbus.Error {
	o.got <- paths
	return nil
}

// A later launch with --no-browser still hands its files to an older
// primary that has no OpenWith (which then shows the viewer, as before).
func TestNoBrowserToOldPrimary(t *testing.T) {
	addr := dbustest.StartBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	old := oldPrimary{got: make(chan []string, 1)}
	if err := conn.Export(old, ObjectPath, Interface); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(BusName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName = %v, %v", reply, err)
	}
	opts := Options{BusAddress: addr, Dir: t.TempDir()}
	if _, err := Acquire(opts, Request{Paths: []string{"/m/b.onnx"}, NoBrowser: true}, nil, nil); !errors.Is(err, ErrForwarded) {
		t.Fatalf("Acquire = %v, want ErrForwarded", err)
	}
	select {
	case got := <-old.got:
		if len(got) != 1 || got[0] != "/m/b.onnx" {
			t.Errorf("old primary got %v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the old primary got nothing")
	}
}

func TestAbsolute(t *testing.T) {
	got := Absolute("/home/u", []string{"a.onnx", "/x/../y.gguf", "d/./e"})
	want := []string{"/home/u/a.onnx", "/y.gguf", "/home/u/d/e"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Absolute = %v", got)
	}
}

// copyExecutable copies the test binary where another user may run it.
func copyExecutable(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "instance-exe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "client")
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}
