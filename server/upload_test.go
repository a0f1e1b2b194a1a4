package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func uploadServer(t *testing.T, mod func(*Config)) (*Server, string, *fakeLib, string) {
	lib := newFakeLib()
	dir := t.TempDir()
	s, addr := startServer(t, lib, func(c *Config) {
		c.UploadDir = dir
		c.MaxUpload = 1 << 20
		if mod != nil {
			mod(c)
		}
	})
	return s, addr, lib, dir
}

func TestUploadRaw(t *testing.T) {
	s, addr, lib, dir := uploadServer(t, nil)
	payload := bytes.Repeat([]byte("onnx"), 1000)
	for _, c := range []struct{ header, name, ext string }{
		{"my%20model.onnx", "my model.onnx", ".onnx"},
		{"../../etc/passwd", "passwd", ""},
		{`C:\Windows\x.GGUF`, "x.GGUF", ".gguf"},
		{"a%01b%E2%80%AE.pt", "ab.pt", ".pt"},
		{"", "upload", ""},
		{"..", "upload", ""},
		{strings.Repeat("n", 10000) + ".npy", strings.Repeat("n", 200), ""},
		{"x.a%2F..%2F..%2Fb", "..", ""},
	} {
		req := authed(t, s, addr, "POST", "/api/upload", bytes.NewReader(payload))
		req.Header.Set("X-Filename", c.header)
		resp, body := do(t, req)
		if resp.StatusCode != 200 {
			t.Fatalf("%q: %d %s", c.header, resp.StatusCode, body)
		}
		var res uploadResult
		json.Unmarshal([]byte(body), &res)
		last := lib.uploads[len(lib.uploads)-1]
		if len(res.IDs) != 1 || res.IDs[0] != "u"+last.Name {
			t.Fatalf("ids %v", res.IDs)
		}
		if c.name != ".." && last.Name != c.name {
			t.Errorf("%q: display name %q, want %q", c.header, last.Name, c.name)
		}
		if filepath.Dir(last.Path) != dir || !strings.HasSuffix(last.Path, c.ext) {
			t.Errorf("%q stored at %s", c.header, last.Path)
		}
		got, _ := os.ReadFile(last.Path)
		if !bytes.Equal(got, payload) {
			t.Errorf("%q: stored bytes differ", c.header)
		}
	}
	if fi, _ := os.Stat(lib.uploads[0].Path); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("upload mode %v", fi.Mode())
	}
}

func TestUploadMultipart(t *testing.T) {
	s, addr, lib, dir := uploadServer(t, nil)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "ignored")
	for _, n := range []string{"a.onnx", "b.tflite"} {
		w, _ := mw.CreateFormFile("file", n)
		w.Write([]byte("data of " + n))
	}
	mw.Close()
	req := authed(t, s, addr, "POST", "/api/upload", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body := do(t, req)
	if resp.StatusCode != 200 || len(lib.uploads) != 2 || lib.uploads[1].Name != "b.tflite" {
		t.Fatalf("%d %s %v", resp.StatusCode, body, lib.uploads)
	}
	got, _ := os.ReadFile(lib.uploads[0].Path)
	if string(got) != "data of a.onnx" {
		t.Fatalf("stored %q", got)
	}

	// Too many files: nothing is kept.
	b.Reset()
	mw = multipart.NewWriter(&b)
	for i := range maxUploadFiles + 1 {
		w, _ := mw.CreateFormFile("file", fmt.Sprintf("f%d.onnx", i))
		w.Write([]byte("x"))
	}
	mw.Close()
	req = authed(t, s, addr, "POST", "/api/upload", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	before := len(lib.uploads)
	c := &http.Client{Timeout: 10 * time.Second}
	// The answer may race the rest of the body; either way nothing is kept.
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("too many files: %d", resp.StatusCode)
		}
	}
	if len(lib.uploads) != before {
		t.Fatal("files of a refused upload were kept")
	}
	waitEmptyExcept(t, dir, lib)
}

func TestUploadTooLarge(t *testing.T) {
	s, addr, lib, dir := uploadServer(t, nil)
	// Declared too large: refused before any of the body is sent.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/upload HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Length: %d\r\n\r\n", addr, sessionCookie(s, addr), 2<<20)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(body), "too large") {
		t.Fatalf("declared: %d %s", resp.StatusCode, body)
	}
	var req *http.Request
	// Chunked, no length: cut at the cap, partial file removed.
	req = authed(t, s, addr, "POST", "/api/upload", io.LimitReader(zeros{}, 2<<20))
	req.ContentLength = -1
	req.Header.Set("X-Filename", "big.onnx")
	// The 413 races the rest of the body (the server closes the
	// connection), so the client may see a reset instead.
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("chunked: %d", resp.StatusCode)
		}
	}
	waitEmpty(t, dir)
	if len(lib.uploads) != 0 {
		t.Fatalf("library got %v", lib.uploads)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A client that stops sending is cut off by the rolling read deadline and
// its partial file removed; a slow but steady one is not.
func TestUploadIdleDeadline(t *testing.T) {
	s, addr, lib, dir := uploadServer(t, func(c *Config) { c.UploadIdle = 200 * time.Millisecond })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/upload HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Length: 1000\r\nX-Filename: slow.onnx\r\n\r\n",
		addr, sessionCookie(s, addr))
	c.Write(make([]byte, 100))
	start := time.Now()
	if err := closedSoon(c, c, 2*time.Second); err != nil {
		t.Fatalf("stalled upload not cut off: %v", err)
	}
	// A hang bound: the cut comes after the read deadline (under 1 s).
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cut off after %v", d)
	}
	waitEmpty(t, dir)

	// Steady: 10 chunks, 150 ms apart, with a 1 s idle limit: every gap
	// is far below the limit while the whole upload takes longer.
	s.Stop(context.Background())
	s.cfg.UploadIdle = time.Second
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	addr = s.Addr()
	pr, pw := io.Pipe()
	go func() {
		for range 10 {
			pw.Write(make([]byte, 10))
			time.Sleep(150 * time.Millisecond)
		}
		pw.Close()
	}()
	req := authed(t, s, addr, "POST", "/api/upload", pr)
	req.Header.Set("X-Filename", "steady.onnx")
	resp, body := do(t, req)
	if resp.StatusCode != 200 || len(lib.uploads) != 1 {
		t.Fatalf("steady upload: %d %s", resp.StatusCode, body)
	}
}

// waitEmptyExcept waits until dir holds only the library's uploads.
func waitEmptyExcept(t *testing.T, dir string, lib *fakeLib) {
	t.Helper()
	keep := map[string]bool{}
	for _, u := range lib.uploads {
		keep[filepath.Base(u.Path)] = true
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		var extra []string
		for _, n := range dirNames(t, dir) {
			if !keep[n] {
				extra = append(extra, n)
			}
		}
		if len(extra) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("partial uploads left: %v", extra)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitEmpty(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for len(dirNames(t, dir)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("partial upload left: %v", dirNames(t, dir))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUploadConcurrencyCapAndStop(t *testing.T) {
	s, addr, _, dir := uploadServer(t, func(c *Config) { c.MaxUploads = 1 })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/upload HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Length: 100000\r\nX-Filename: slow.onnx\r\n\r\n",
		addr, sessionCookie(s, addr))
	c.Write(make([]byte, 1000))
	deadline := time.Now().Add(2 * time.Second)
	for len(dirNames(t, dir)) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	req := authed(t, s, addr, "POST", "/api/upload", strings.NewReader("x"))
	resp, _ := do(t, req)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second upload: %d", resp.StatusCode)
	}
	start := time.Now()
	s.Stop(context.Background())
	// A hang bound, 10x the 500 ms grace.
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Stop with an upload in flight took %v", d)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("partial upload left after Stop: %v", names)
	}
}

func TestUploadDisabled(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.UploadDir = "" })
	resp, _ := do(t, authed(t, s, addr, "POST", "/api/upload", strings.NewReader("x")))
	if resp.StatusCode != 503 {
		t.Fatalf("%d", resp.StatusCode)
	}
}

// A large upload streams to disk: the heap does not grow with it.
func TestUploadStreams(t *testing.T) {
	s, addr, lib, _ := uploadServer(t, func(c *Config) { c.MaxUpload = 128 << 20 })
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	req := authed(t, s, addr, "POST", "/api/upload", io.LimitReader(zeros{}, 64<<20))
	req.ContentLength = 64 << 20
	resp, _ := do(t, req)
	runtime.ReadMemStats(&after)
	if resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	fi, err := os.Stat(lib.uploads[0].Path)
	if err != nil || fi.Size() != 64<<20 {
		t.Fatalf("stored %v %v", fi, err)
	}
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB for a 64 MiB upload", grew>>20)
	}
}

// Uploads may not fill the upload directory past the quota: 507, nothing
// written, earlier uploads intact.
func TestUploadQuota(t *testing.T) {
	s, addr, lib, dir := uploadServer(t, func(c *Config) { c.UploadQuota = 3000 })
	send := func(n int, chunked bool) int {
		req := authed(t, s, addr, "POST", "/api/upload", io.LimitReader(zeros{}, int64(n)))
		if chunked {
			req.ContentLength = -1
		} else {
			req.ContentLength = int64(n)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return 0 // the answer raced the body; the caller checks the disk
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(2000, false); code != 200 {
		t.Fatalf("first: %d", code)
	}
	if code := send(2000, false); code != 507 {
		t.Fatalf("over quota: %d", code)
	}
	if code := send(2000, true); code != 507 && code != 0 {
		t.Fatalf("over quota, chunked: %d", code)
	}
	waitEmptyExcept(t, dir, lib)
	if len(lib.uploads) != 1 {
		t.Fatalf("uploads %v", lib.uploads)
	}
	if code := send(900, true); code != 200 {
		t.Fatalf("within quota: %d", code)
	}
}
