package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// subBuffer is how many events a stream may fall behind before it is
// dropped (the browser reconnects and gets a fresh list).
const subBuffer = 32

// sseWriteTimeout bounds writing one event to one client.
const sseWriteTimeout = 10 * time.Second

// Hub fans events out to every open SSE stream. Publishing never blocks: a
// subscriber whose buffer is full is dropped.
type Hub struct {
	mu   sync.Mutex
	max  int
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan []byte
	closed bool
}

// NewHub returns a Hub that accepts at most max subscribers.
func NewHub(max int) *Hub {
	return &Hub{max: max, subs: map[*subscriber]struct{}{}}
}

func (h *Hub) subscribe() (*subscriber, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) >= h.max {
		return nil, false
	}
	s := &subscriber{ch: make(chan []byte, subBuffer)}
	h.subs[s] = struct{}{}
	return s, true
}

func (h *Hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// Subscribers returns the number of open streams.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish sends one event, with v as its JSON data, to every stream.
func (h *Hub) Publish(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	frame := Frame(event, data)
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.ch <- frame:
		default:
			delete(h.subs, s)
			s.closed = true
			close(s.ch)
		}
	}
	return nil
}

// Frame encodes one Server-Sent Event. The event name loses any CR/LF and
// each line of data becomes its own "data:" field, so no content can end
// the event early or inject fields.
func Frame(event string, data []byte) []byte {
	var b bytes.Buffer
	event = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, event)
	if event != "" {
		b.WriteString("event: ")
		b.WriteString(event)
		b.WriteByte('\n')
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	for _, line := range bytes.Split(data, []byte("\n")) {
		b.WriteString("data: ")
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// handleEvents streams events until the client leaves, the subscriber is
// dropped, or the server stops (which cancels the request context).
func (r *run) handleEvents(w http.ResponseWriter, req *http.Request) {
	sub, ok := r.s.hub.subscribe()
	if !ok {
		w.Header().Set("Retry-After", "2")
		jsonError(w, http.StatusServiceUnavailable, "too many event streams")
		return
	}
	defer r.s.hub.unsubscribe(sub)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	models, _ := json.Marshal(r.s.cfg.Library.List())
	first := append([]byte("retry: 2000\n\n"), Frame("models", models)...)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		if rc.Flush() != nil {
			return false
		}
		// Clear the deadline: left set, its timer would wake the app
		// sseWriteTimeout after every event of an idle stream.
		return rc.SetWriteDeadline(time.Time{}) == nil
	}
	if !write(first) {
		return
	}
	tick := time.NewTicker(r.s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-req.Context().Done():
			return
		case frame, ok := <-sub.ch:
			if !ok || !write(frame) {
				return
			}
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		}
	}
}
