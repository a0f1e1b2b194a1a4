//go:build unix

package security

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowLoris opens a connection that sends half a request header and then
// nothing; it returns a channel closed when the server drops it.
func slowLoris(t testing.TB, addr string) <-chan struct{} {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nX-A: "); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		io.Copy(io.Discard, conn)
	}()
	return closed
}

// slowUpload starts a same-origin upload that trickles one byte every
// 100 ms; it returns a channel closed when the server ends the request.
func slowUpload(t testing.TB, p *app) <-chan struct{} {
	t.Helper()
	c := p.session(t)
	conn, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := "POST /api/upload HTTP/1.1\r\nHost: " + p.addr + "\r\nCookie: " + c.Name + "=" + c.Value +
		"\r\nSec-Fetch-Site: same-origin\r\nX-Filename: slow.gguf\r\nContent-Length: 1000000\r\n\r\nGGUF"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			time.Sleep(100 * time.Millisecond)
			conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write([]byte{0}); err != nil {
				return
			}
		}
	}()
	return done
}

// unreadEvents opens the event stream and never reads it.
func unreadEvents(t testing.TB, p *app) {
	t.Helper()
	c := p.session(t)
	conn, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// A tiny receive buffer makes the server's writes back up sooner.
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetReadBuffer(1024)
	}
	io.WriteString(conn, "GET /api/events HTTP/1.1\r\nHost: "+p.addr+"\r\nCookie: "+c.Name+"="+c.Value+
		"\r\nSec-Fetch-Site: same-origin\r\nAccept: text/event-stream\r\n\r\n")
}

// TestSlowLoris checks that a client that never finishes its request
// header is dropped by the header timeout (5 s) and does not block others.
func TestSlowLoris(t *testing.T) {
	t.Parallel()
	plain, _ := modelDir(t)
	p := start(t, plain)
	start := time.Now()
	closed := slowLoris(t, p.addr)
	if r := p.raw(t, "GET / HTTP/1.1\r\nHost: "+p.addr+"\r\nConnection: close\r\n\r\n"); r.status != http.StatusOK {
		t.Errorf("another client during the slow-loris: %d %v", r.status, r.err)
	}
	select {
	case <-closed:
		t.Logf("slow-loris connection dropped after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(9 * time.Second):
		t.Error("slow-loris connection still open after 9 s (ReadHeaderTimeout missing?)")
	}
}

// TestAbortedUpload checks that an upload cut off mid-body leaves no
// partial file behind.
func TestAbortedUpload(t *testing.T) {
	t.Parallel()
	plain, _ := modelDir(t)
	p := start(t, plain)
	c := p.session(t)
	conn, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	head := "POST /api/upload HTTP/1.1\r\nHost: " + p.addr + "\r\nCookie: " + c.Name + "=" + c.Value +
		"\r\nSec-Fetch-Site: same-origin\r\nX-Filename: cut.onnx\r\nTransfer-Encoding: chunked\r\n\r\n"
	io.WriteString(conn, head)
	chunk := strings.Repeat("x", 64<<10)
	for range 16 {
		io.WriteString(conn, "10000\r\n"+chunk+"\r\n")
	}
	// The partial file exists while the body streams in.
	if !waitFor(5*time.Second, func() bool { return len(p.uploadFiles(t)) > 0 }) {
		t.Log("no partial upload file seen (the server may buffer); checking removal anyway")
	}
	conn.Close()
	if !waitFor(5*time.Second, func() bool { return len(p.uploadFiles(t)) == 0 }) {
		t.Errorf("partial upload left behind: %v", p.uploadFiles(t))
	}
}

// TestQuitUnderAttack sends SIGTERM while a slow upload, an unread event
// stream, a slow-loris client and a stuck parse (a model path that is a
// FIFO nobody writes: opening it blocks in the kernel, ignoring every
// context) are in flight. The process must exit within a second and
// leave no upload directory behind.
func TestQuitUnderAttack(t *testing.T) {
	t.Parallel()
	plain, _ := modelDir(t)
	fifo := filepath.Join(t.TempDir(), "stuck.onnx")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	p := start(t, plain, fifo)
	if len(p.uploadDirs(t)) != 1 {
		t.Fatalf("upload directories at start: %v", p.uploadDirs(t))
	}
	c := p.session(t)
	cookieLine := "Cookie: " + c.Name + "=" + c.Value + "\r\n"
	modelID(t, p, cookieLine, "stuck.onnx")

	upload := slowUpload(t, p)
	unreadEvents(t, p)
	loris := slowLoris(t, p.addr)
	// Let every attack reach the server: the upload's partial file exists.
	if !waitFor(5*time.Second, func() bool { return len(p.uploadFiles(t)) > 0 }) {
		t.Log("the slow upload's file did not appear in time")
	}
	if stuck := loadingModels(t, p, cookieLine); stuck != 1 {
		t.Logf("models still loading before Quit: %d (want the FIFO one)", stuck)
	}

	d := p.quit(t, 10*time.Second)
	t.Logf("exited %v after SIGTERM", d.Round(time.Millisecond))
	// 10x the 500 ms grace: a hang bound that a busy machine cannot break.
	if d > 5*time.Second {
		t.Errorf("Quit took %v, want <= 5s", d)
	}
	if dirs := p.uploadDirs(t); len(dirs) != 0 {
		t.Errorf("upload directory left after Quit: %v", dirs)
	}
	for name, ch := range map[string]<-chan struct{}{"slow upload": upload, "slow-loris": loris} {
		select {
		case <-ch:
		case <-time.After(2 * time.Second):
			t.Errorf("%s connection still open after the process exited", name)
		}
	}
	if _, err := os.Stat(fifo); err != nil {
		t.Errorf("the FIFO model file was touched: %v", err)
	}
}

// loadingModels counts the models whose load is in progress.
func loadingModels(t testing.TB, p *app, cookieLine string) int {
	t.Helper()
	r := p.raw(t, "GET /api/models HTTP/1.1\r\nHost: "+p.addr+"\r\n"+cookieLine+"Connection: close\r\n\r\n")
	return strings.Count(r.body, `"loading":true`)
}
