package security

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	name string
	data string
}

// sseStream reads events from a raw /api/events connection and checks the
// framing of every line as it goes.
type sseStream struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func openEvents(t testing.TB, p *app) *sseStream {
	t.Helper()
	c := p.session(t)
	conn, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET /api/events HTTP/1.1\r\nHost: " + p.addr + "\r\nCookie: " + c.Name + "=" + c.Value +
		"\r\nAccept: text/event-stream\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for k := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-allow") {
			t.Errorf("event stream answer has %s", k)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("event stream answer lacks the security headers: %v", resp.Header)
	}
	if len(resp.TransferEncoding) > 0 {
		// Chunked framing: read the decoded body.
		return &sseStream{t: t, conn: conn, r: bufio.NewReader(resp.Body)}
	}
	return &sseStream{t: t, conn: conn, r: r}
}

// next returns the next event, or false when none arrives before the
// deadline. Every line must be a field the server means to send.
func (s *sseStream) next(deadline time.Time) (sseEvent, bool) {
	s.conn.SetReadDeadline(deadline)
	var ev sseEvent
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return sseEvent{}, false
		}
		if strings.ContainsRune(line[:len(line)-1], '\r') {
			s.t.Errorf("SSE line holds a CR, which browsers treat as a line end: %q", line)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.name == "" && data == nil {
				continue // retry or comment block
			}
			ev.data = strings.Join(data, "\n")
			return ev, true
		case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry: "):
		case strings.HasPrefix(line, "event: "):
			if ev.name != "" {
				s.t.Errorf("two event fields in one event: %q then %q", ev.name, line)
			}
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		default:
			s.t.Errorf("unexpected SSE line %q (a name broke the framing?)", line)
		}
	}
}

// TestSSEFraming checks that file names, tensor names and load errors
// carrying newlines and "event:" lines cannot forge or split events: every
// event is one known name with one line of JSON data.
func TestSSEFraming(t *testing.T) {
	plain, hostile := modelDir(t)
	p := start(t, plain, hostile)
	c := p.session(t)
	cookieLine := "Cookie: " + c.Name + "=" + c.Value + "\r\n"
	// Wait until both models are loaded and watched, so that the rewrite
	// below is seen as a change.
	if !waitFor(20*time.Second, func() bool {
		r := p.raw(t, "GET /api/models HTTP/1.1\r\nHost: "+p.addr+"\r\n"+cookieLine+"Connection: close\r\n\r\n")
		return r.status == http.StatusOK && strings.Count(r.body, `"watching":true`) == 2 && !strings.Contains(r.body, `"loading":true`)
	}) {
		t.Fatal("models not loaded and watched in time")
	}
	s := openEvents(t, p)
	deadline := time.Now().Add(30 * time.Second)

	// Trigger events that carry hostile text: a reload whose error names
	// the hostile tensor and dtype, and an upload with a hostile name.
	brokenSafetensorsFile(t, hostile, hostileName)
	body := string(npyBytes())
	name := url.PathEscape("u\nevent: pwned\ndata: {}\n\n.npy")
	resp := p.raw(t, "POST /api/upload HTTP/1.1\r\nHost: "+p.addr+"\r\nCookie: "+c.Name+"="+c.Value+
		"\r\nSec-Fetch-Site: same-origin\r\nX-Filename: "+name+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
	if resp.status != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.status, resp.body)
	}

	var sawHostileName, sawReloadError, sawUpload bool
	events := 0
	for time.Now().Before(deadline) && !(sawHostileName && sawReloadError && sawUpload) {
		ev, ok := s.next(deadline)
		if !ok {
			break
		}
		events++
		if ev.name == "pwned" || strings.Contains(ev.data, "\n") {
			t.Fatalf("forged or split event: %q %q", ev.name, ev.data)
		}
		var v any
		if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
			t.Errorf("event %q data is not one JSON value: %q", ev.name, ev.data)
			continue
		}
		if strings.Contains(ev.data, `x\nevent: pwned`) {
			sawHostileName = true
		}
		if strings.Contains(ev.data, `u\nevent: pwned`) || strings.Contains(ev.data, `uevent: pwned`) {
			sawUpload = true
		}
		if ev.name == "model" && strings.Contains(ev.data, `"error":"`) && !strings.Contains(ev.data, `"error":""`) {
			sawReloadError = true
		}
	}
	t.Logf("read %d well-formed events", events)
	if !sawHostileName {
		t.Error("no event listed the model whose file name holds an SSE event")
	}
	if !sawReloadError {
		t.Error("no model event reported the reload error of the hostile file")
	}
	if !sawUpload {
		t.Error("no event listed the upload with the hostile name")
	}
}
