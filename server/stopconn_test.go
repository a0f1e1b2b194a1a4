package server

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestStopDoesNotWaitOutGrace stops a server with a long grace while an
// SSE stream and a client still sending its headers are connected: every
// connection is closed as soon as it has nothing in flight, so Stop never
// waits for the grace to run out.
func TestStopDoesNotWaitOutGrace(t *testing.T) {
	const grace = time.Minute
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.Grace = grace })

	resp, _ := openStream(t, s, addr)
	defer resp.Body.Close()
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := slow.Write([]byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// A hang bound far below the grace: Stop takes a few ms here.
	if d := time.Since(start); d > grace/6 {
		t.Fatalf("Stop took %v: it waited for the grace (%v)", d, grace)
	}
}

// TestConnClosedWhenAcceptedWhileStopping covers a connection the accept
// loop hands over after stopping began: it is closed at once.
func TestConnClosedWhenAcceptedWhileStopping(t *testing.T) {
	r := &run{conns: map[net.Conn]*connInfo{}, closing: true}
	for _, st := range []http.ConnState{http.StateNew, http.StateIdle} {
		a, b := net.Pipe()
		r.connState(a, st)
		b.SetReadDeadline(time.Now().Add(5 * time.Second)) // a hang bound
		if _, err := b.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("%v connection while stopping: not closed (%v)", st, err)
		}
		b.Close()
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// openStream opens the event stream and reads its first line.
func openStream(t *testing.T, s *Server, addr string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req := authed(t, s, addr, "GET", "/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: status %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatalf("events: %v", err)
	}
	return resp, br
}
