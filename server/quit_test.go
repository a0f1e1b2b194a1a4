package server

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// POST /api/quit answers 204 and then calls Config.Quit, behind the same
// guards as the other mutating routes: no session or another origin gets
// 403 and quits nothing.
func TestAPIQuit(t *testing.T) {
	var quits atomic.Int32
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.Quit = func() { quits.Add(1) } })

	noSession, _ := http.NewRequest("POST", "http://"+addr+"/api/quit", nil)
	noSession.Header.Set("Sec-Fetch-Site", "same-origin")
	crossSite := authed(t, s, addr, "POST", "/api/quit", nil)
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	crossSite.Header.Set("Origin", "https://evil.example")
	for name, req := range map[string]*http.Request{"no session": noSession, "cross-site": crossSite} {
		if resp, body := do(t, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", name, resp.StatusCode, body)
		}
	}
	// Only POST quits (other methods reach the API's catch-all 404).
	if resp, _ := do(t, authed(t, s, addr, "GET", "/api/quit", nil)); resp.StatusCode < 400 {
		t.Errorf("GET /api/quit: %d, want an error", resp.StatusCode)
	}
	if n := quits.Load(); n != 0 {
		t.Fatalf("Quit called %d times by refused requests", n)
	}
	resp, body := do(t, authed(t, s, addr, "POST", "/api/quit", nil))
	if resp.StatusCode != http.StatusNoContent || body != "" {
		t.Errorf("POST /api/quit: %d %q, want 204 and no body", resp.StatusCode, body)
	}
	// The handler calls Quit after flushing its answer, so the answer can
	// arrive first: wait for the call (a hang bound; it takes microseconds).
	for deadline := time.Now().Add(10 * time.Second); quits.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := quits.Load(); n != 1 {
		t.Errorf("Quit called %d times, want 1", n)
	}
}

// Without Config.Quit the route does not exist.
func TestAPIQuitUnset(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	if resp, _ := do(t, authed(t, s, addr, "POST", "/api/quit", nil)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /api/quit without Quit: %d, want 404", resp.StatusCode)
	}
}
