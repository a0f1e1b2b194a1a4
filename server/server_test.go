package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestStopBeforeStartAndTwice(t *testing.T) {
	s, err := New(Config{Library: newFakeLib()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed before Start")
	}
	addr, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.Start(); err != nil || again != addr {
		t.Fatalf("second Start = %q, %v; want %q", again, err, addr)
	}
	if !s.Running() || !strings.HasPrefix(s.URL(), "http://"+addr+"/?token=") {
		t.Fatalf("Running=%v URL=%q", s.Running(), s.URL())
	}
	done := s.Done()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := s.Stop(context.Background()); err != nil {
				t.Errorf("concurrent Stop: %v", err)
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	default:
		t.Fatal("Done not closed after Stop")
	}
	if s.Running() || s.URL() != "" {
		t.Fatal("still running after Stop")
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("port still accepts connections after Stop")
	}
}

func TestStopWithCancelledContext(t *testing.T) {
	s, _ := startServer(t, newFakeLib(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	s.Stop(ctx)
	// A hang bound: Stop returns in about 1 ms here.
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Stop with a cancelled context took %v", d)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		s, err := New(Config{Library: newFakeLib(), Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Start(); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Start(%q) = %v, want ErrNotLoopback", addr, err)
			s.Stop(context.Background())
		}
	}
}

func TestBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := New(Config{Library: newFakeLib(), Addr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Start()
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("Start on a busy port = %v", err)
	}
	if s.Running() || s.URL() != "" {
		t.Fatal("running after a failed Start")
	}
}

// TestStartStopSamePort starts and stops on one port 1,000 times, serving
// a request every 100 cycles, and checks nothing leaks.
func TestStartStopSamePort(t *testing.T) {
	lib := newFakeLib()
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	s, err := New(Config{Library: lib, Web: testWeb, Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	// Warm up (lazy runtime and net/http initialisation), then measure.
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	do(t, authed(t, s, addr, "GET", "/api/models", nil))
	s.Stop(context.Background())
	fds := openFDs(t)
	start := time.Now()
	for i := range 1000 {
		got, err := s.Start()
		if err != nil {
			t.Fatalf("cycle %d: Start: %v", i, err)
		}
		if got != addr {
			t.Fatalf("cycle %d: bound %s, want %s", i, got, addr)
		}
		if i%100 == 0 {
			resp, body := do(t, authed(t, s, addr, "GET", "/api/models", nil))
			if resp.StatusCode != 200 || !contains(body, `"tiny.onnx"`) {
				t.Fatalf("cycle %d: %d %s", i, resp.StatusCode, body)
			}
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Fatalf("cycle %d: Stop: %v", i, err)
		}
	}
	t.Logf("1000 Start/Stop cycles on %s in %v (%v per cycle)", addr, time.Since(start), time.Since(start)/1000)
	// A leak would show as about a thousand descriptors; a few may belong
	// to connections of earlier tests still closing.
	got := openFDs(t)
	t.Logf("open fds: %d before, %d after", fds, got)
	if got > fds+5 {
		t.Errorf("open fds: %d before, %d after 1000 cycles", fds, got)
	}
	goleak.VerifyNone(t)
}

// sseClient opens /api/events on a raw connection and reads up to the
// first event.
func sseClient(t testing.TB, s *Server, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /api/events HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nSec-Fetch-Site: same-origin\r\n\r\n",
		addr, sessionCookie(s, addr).String())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("SSE response %v, %v", resp, err)
	}
	br := bufio.NewReader(resp.Body)
	if ev, _, err := readEvent(br); err != nil || ev.name != "models" {
		t.Fatalf("first SSE event %+v, %v", ev, err)
	}
	c.SetReadDeadline(time.Time{})
	return c, br
}

// closedSoon reads c until it ends and reports whether that happened
// before the deadline (as opposed to the connection staying open).
func closedSoon(c net.Conn, r io.Reader, within time.Duration) error {
	c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, r)
	if err == nil || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// TestStopUnderLoad: Stop returns within 1 s with 100 SSE streams, a
// client half-way through its headers, a slow reader of a large response
// and an idle keep-alive connection, and every one of them is closed.
func TestStopUnderLoad(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.Heartbeat = time.Hour })
	type conn struct {
		name string
		c    net.Conn
		r    io.Reader
	}
	var conns []conn
	for i := range 100 {
		c, br := sseClient(t, s, addr)
		conns = append(conns, conn{fmt.Sprintf("sse %d", i), c, br})
	}
	if n := s.Hub().Subscribers(); n != 100 {
		t.Fatalf("%d subscribers, want 100", n)
	}

	half, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(half, "GET /api/models HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr)
	conns = append(conns, conn{"half-sent headers", half, half})

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(slow, "GET /big.bin HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	head := make([]byte, 4096)
	if _, err := io.ReadFull(slow, head); err != nil || !strings.HasPrefix(string(head), "HTTP/1.1 200") {
		t.Fatalf("slow reader: %q %v", head[:20], err)
	}
	conns = append(conns, conn{"slow reader", slow, slow})

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(idle, "GET /app.js HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	ir := bufio.NewReader(idle)
	resp, err := http.ReadResponse(ir, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	conns = append(conns, conn{"idle keep-alive", idle, ir})

	time.Sleep(100 * time.Millisecond) // let the slow response fill the socket buffers
	start := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	took := time.Since(start)
	t.Logf("Stop under load took %v", took)
	// The grace is 500 ms; 10x it is a hang bound that load cannot break.
	if took > 5*time.Second {
		t.Fatalf("Stop took %v, want < 5s (10x the 500 ms grace)", took)
	}
	for _, c := range conns {
		if err := closedSoon(c.c, c.r, 3*time.Second); err != nil {
			t.Errorf("%s: connection not closed: %v", c.name, err)
		}
		c.c.Close()
	}
	if n := s.Hub().Subscribers(); n != 0 {
		t.Errorf("%d subscribers left", n)
	}
}

func BenchmarkStartStop(b *testing.B) {
	s, err := New(Config{Library: newFakeLib()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Start(); err != nil {
			b.Fatal(err)
		}
		if err := s.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartServeStop includes one API request per cycle.
func BenchmarkStartServeStop(b *testing.B) {
	s, err := New(Config{Library: newFakeLib()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		addr, err := s.Start()
		if err != nil {
			b.Fatal(err)
		}
		resp, _ := do(b, authed(b, s, addr, "GET", "/api/models", nil))
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
		if err := s.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// With port 0, a restart gets the same port back when it is free (open
// pages keep their per-port session), and another one when it is not.
func TestRestartKeepsPort(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	s.Stop(context.Background())
	again, err := s.Start()
	if err != nil || again != addr {
		t.Fatalf("restart bound %s (%v), first run %s", again, err, addr)
	}
	s.Stop(context.Background())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	other, err := s.Start()
	if err != nil || other == addr {
		t.Fatalf("restart with the old port taken: %s, %v", other, err)
	}
}

// The listener is on loopback only: no other interface address answers.
func TestLoopbackOnly(t *testing.T) {
	_, addr := startServer(t, newFakeLib(), nil)
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("bound to %s", addr)
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), 500*time.Millisecond)
		if err == nil {
			c.Close()
			t.Errorf("the viewer answers on %s", ipn.IP)
		}
	}
}
