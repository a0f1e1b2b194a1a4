package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	name string
	data string
}

// readEvent parses the next event (skipping comments and retry fields).
func readEvent(br *bufio.Reader) (sseEvent, []string, error) {
	var ev sseEvent
	var comments []string
	var data []string
	seen := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return ev, comments, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if seen {
				ev.data = strings.Join(data, "\n")
				return ev, comments, nil
			}
		case strings.HasPrefix(line, ":"):
			comments = append(comments, line)
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
			seen = true
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
			seen = true
		case strings.HasPrefix(line, "retry: "):
		default:
			return ev, comments, &unexpectedLine{line}
		}
	}
}

type unexpectedLine struct{ line string }

func (u *unexpectedLine) Error() string { return "unexpected SSE line " + u.line }

func TestSSEFanOutAndFraming(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.Heartbeat = time.Hour })
	var readers []*bufio.Reader
	for range 3 {
		c, br := sseClient(t, s, addr)
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		readers = append(readers, br)
	}
	evil := "a\n\ndata: {\"evil\":1}\r\nevent: x\rb"
	if err := s.Hub().Publish("model", map[string]string{"id": "m1", "name": evil}); err != nil {
		t.Fatal(err)
	}
	s.Hub().Publish("mod\nel", "second")
	for i, br := range readers {
		ev, _, err := readEvent(br)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		var got map[string]string
		if ev.name != "model" || json.Unmarshal([]byte(ev.data), &got) != nil || got["name"] != evil {
			t.Fatalf("client %d: %+v", i, ev)
		}
		ev, _, err = readEvent(br)
		if err != nil || ev.name != "model" || ev.data != `"second"` {
			t.Fatalf("client %d second event: %+v %v", i, ev, err)
		}
	}
}

func TestSSEHeartbeatAndLeave(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.Heartbeat = 20 * time.Millisecond })
	c, br := sseClient(t, s, addr)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := br.ReadString('\n')
	for err == nil && line != ": ping\n" {
		line, err = br.ReadString('\n')
	}
	if err != nil {
		t.Fatalf("no heartbeat: %v", err)
	}
	c.Close()
	deadline := time.Now().Add(3 * time.Second)
	for s.Hub().Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream did not end when its client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSSELimitAndHeaders(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.MaxStreams = 2 })
	for range 2 {
		c, _ := sseClient(t, s, addr)
		defer c.Close()
	}
	resp, _ := do(t, authed(t, s, addr, "GET", "/api/events", nil))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third stream: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.Stop(context.Background())
	s.Start()
	addr = s.Addr()
	req := authed(t, s, addr, "GET", "/api/events", nil).WithContext(ctx)
	r, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	checkHeaders(t, "events", r.Header)
}

func TestHubDropsSlowSubscriber(t *testing.T) {
	h := NewHub(10)
	sub, ok := h.subscribe()
	if !ok {
		t.Fatal("subscribe failed")
	}
	for i := 0; i <= subBuffer; i++ {
		h.Publish("x", i)
	}
	n := 0
	for range sub.ch {
		n++
	}
	if n != subBuffer || h.Subscribers() != 0 {
		t.Fatalf("got %d events, %d subscribers", n, h.Subscribers())
	}
	h.unsubscribe(sub) // after a drop: no double close
}

func FuzzFrame(f *testing.F) {
	f.Add("model", []byte(`{"id":"x"}`))
	f.Add("a\nb", []byte("line1\nline2\r\nline3\rline4"))
	f.Add("", []byte("\n\n\n"))
	f.Add("event: x\r\n", []byte("data: y\n\nevent: z"))
	f.Fuzz(func(t *testing.T, event string, data []byte) {
		frame := Frame(event, data)
		br := bufio.NewReader(strings.NewReader(string(frame)))
		ev, _, err := readEvent(br)
		if err != nil {
			t.Fatalf("frame %q does not parse: %v", frame, err)
		}
		if rest, _ := br.ReadString(0); rest != "" {
			t.Fatalf("frame %q holds more than one event (rest %q)", frame, rest)
		}
		wantName := strings.NewReplacer("\r", "", "\n", "", "\x00", "").Replace(event)
		if !utf8.ValidString(ev.name) || strings.ContainsAny(ev.name, "\r\n\x00") ||
			utf8.ValidString(event) && ev.name != wantName {
			t.Fatalf("event name %q, want %q", ev.name, wantName)
		}
		wantData := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(data))
		if ev.data != wantData {
			t.Fatalf("data %q, want %q", ev.data, wantData)
		}
	})
}
