package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/model"
)

const testPort = 8080

// spyRun returns a run for 127.0.0.1:8080 whose routes are spies: the
// same guard layers as production around a handler that records whether
// it ran.
func spyRun(t testing.TB) (http.Handler, *bool, *Server) {
	t.Helper()
	s, err := New(Config{Library: newFakeLib(), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	r := &run{
		s:     s,
		port:  fmt.Sprint(testPort),
		hosts: allowedHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: testPort}),
		conns: map[net.Conn]*connInfo{},
	}
	ran := new(bool)
	spy := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		*ran = true
		w.WriteHeader(http.StatusTeapot)
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", r.api(spy))
	mux.Handle("/", r.page(spy))
	return r.chain(mux), ran, s
}

func checkHeaders(t *testing.T, name string, h http.Header) {
	t.Helper()
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-allow") {
			t.Errorf("%s: response carries %s", name, k)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("%s: CSP = %q", name, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: missing security headers: %v", name, h)
	}
}

type guardCase struct {
	name    string
	method  string
	target  string
	host    string
	headers map[string]string
	cookie  string // "" none, "ok" valid, else a raw Cookie header
	want    int    // expected status; 418 = reached the handler
}

func runGuardCases(t *testing.T, cases []guardCase) {
	h, ran, s := spyRun(t)
	for _, c := range cases {
		*ran = false
		req := httptest.NewRequest(c.method, c.target, nil)
		req.Host = c.host
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		switch c.cookie {
		case "":
		case "ok":
			req.Header.Set("Cookie", fmt.Sprintf("%s%d=%s", cookiePrefix, testPort, s.session))
		default:
			req.Header.Set("Cookie", c.cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, c.want, strings.TrimSpace(rec.Body.String()))
		}
		if *ran != (c.want == http.StatusTeapot) {
			t.Errorf("%s: handler ran = %v", c.name, *ran)
		}
		checkHeaders(t, c.name, rec.Result().Header)
	}
}

func TestHostAllowlist(t *testing.T) {
	bad := []string{
		"", "evil.example", "evil.example:8080", "127.0.0.1.evil.example:8080",
		"localhost.evil.example:8080", "LOCALHOST.:8080", "localhost.:8080", "localhost", "127.0.0.1",
		"127.0.0.1:8081", ":8080", "foo.localhost:8080", "localhost.localhost:8080", "[::1", "[::1]",
		"127.0.0.1:8080.", "127.0.0.1:08080", "0.0.0.0:8080", "127.0.0.2:8080", "[::ffff:127.0.0.1]:8080",
		"127.1:8080", "2130706433:8080", "127.0.0.1:8080:8080", "user@127.0.0.1:8080", "127.0.0.1:8080\x00",
		strings.Repeat("a", 60<<10),
	}
	good := []string{"127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080", "LocalHost:8080"}
	var cases []guardCase
	routes := []struct{ method, target string }{
		{"GET", "/"}, {"GET", "/app.js"}, {"GET", "/api/models"}, {"GET", "/api/events"},
		{"POST", "/api/upload"}, {"DELETE", "/api/models/m1"}, {"OPTIONS", "/api/models"}, {"GET", "/?token=tok"},
	}
	for _, rt := range routes {
		for _, h := range bad {
			cases = append(cases, guardCase{name: fmt.Sprintf("%s %s Host %.40q", rt.method, rt.target, h),
				method: rt.method, target: rt.target, host: h, cookie: "ok",
				headers: map[string]string{"Sec-Fetch-Site": "same-origin"}, want: 403})
		}
	}
	for _, h := range good {
		cases = append(cases,
			guardCase{name: "GET /api/models Host " + h, method: "GET", target: "/api/models", host: h, cookie: "ok", want: 418},
			guardCase{name: "GET / Host " + h, method: "GET", target: "/", host: h, want: 418})
	}
	cases = append(cases, guardCase{name: "absolute-form", method: "GET", target: "http://127.0.0.1:8080/api/models",
		host: "127.0.0.1:8080", cookie: "ok", want: 403})
	runGuardCases(t, cases)
}

func TestCrossOriginRules(t *testing.T) {
	const host = "127.0.0.1:8080"
	sfs := func(v string) map[string]string { return map[string]string{"Sec-Fetch-Site": v} }
	origin := func(v string) map[string]string { return map[string]string{"Origin": v} }
	var cases []guardCase
	for _, m := range []string{"GET", "POST", "DELETE", "PUT", "OPTIONS"} {
		for _, route := range []string{"/api/models", "/api/upload", "/api/events", "/api/models/m1/graph"} {
			add := func(name string, h map[string]string, want int) {
				cases = append(cases, guardCase{name: m + " " + route + " " + name, method: m, target: route, host: host, cookie: "ok", headers: h, want: want})
			}
			add("cross-site", sfs("cross-site"), 403)
			add("same-site", sfs("same-site"), 403)
			add("bogus sec-fetch-site", sfs("whatever"), 403)
			add("origin evil", origin("http://evil.example"), 403)
			add("origin null", origin("null"), 403)
			add("origin other port", origin("http://127.0.0.1:8081"), 403)
			add("origin other name", origin("http://localhost:8080"), 403)
			add("origin https", origin("https://127.0.0.1:8080"), 403)
			add("origin with userinfo", origin("http://u:p@127.0.0.1:8080"), 403)
			add("preflight", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Private-Network": "true"}, 403)
			add("same-origin", sfs("same-origin"), 418)
			add("user navigation", sfs("none"), 418)
			add("same origin header", origin("http://127.0.0.1:8080"), 418)
			add("program (no browser headers)", nil, 418)
		}
	}
	// DNS rebinding: Host and Origin both the attacker's name and the
	// browser says same-origin. Go's CrossOriginProtection lets it pass;
	// the Host check does not.
	req := httptest.NewRequest("POST", "/api/upload", nil)
	req.Host = "evil.example:8080"
	req.Header.Set("Origin", "http://evil.example:8080")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if err := http.NewCrossOriginProtection().Check(req); err != nil {
		t.Fatalf("CrossOriginProtection now rejects rebinding (%v); update this test", err)
	}
	cases = append(cases, guardCase{name: "rebinding", method: "POST", target: "/api/upload", host: "evil.example:8080",
		cookie: "ok", headers: map[string]string{"Origin": "http://evil.example:8080", "Sec-Fetch-Site": "same-origin"}, want: 403})
	runGuardCases(t, cases)
}

func TestSessionRules(t *testing.T) {
	const host = "127.0.0.1:8080"
	cases := []guardCase{
		{name: "no cookie", method: "GET", target: "/api/models", host: host, want: 403},
		{name: "no cookie SSE", method: "GET", target: "/api/events", host: host, want: 403},
		{name: "no cookie upload", method: "POST", target: "/api/upload", host: host, want: 403},
		{name: "wrong cookie", method: "GET", target: "/api/models", host: host, cookie: cookiePrefix + "8080=nope", want: 403},
		{name: "token as cookie", method: "GET", target: "/api/models", host: host, cookie: cookiePrefix + "8080=tok", want: 403},
		{name: "cookie of another port", method: "GET", target: "/api/models", host: host, cookie: cookiePrefix + "8081=x", want: 403},
		{name: "bearer wrong", method: "GET", target: "/api/models", host: host, headers: map[string]string{"Authorization": "Bearer nope"}, want: 403},
		{name: "token in query is not a session", method: "GET", target: "/api/models?token=tok", host: host, want: 403},
		{name: "bearer token", method: "GET", target: "/api/models", host: host, headers: map[string]string{"Authorization": "Bearer tok"}, want: 418},
		{name: "cookie", method: "GET", target: "/api/models", host: host, cookie: "ok", want: 418},
		{name: "page without token", method: "GET", target: "/", host: host, want: 418},
		{name: "page bad token", method: "GET", target: "/?token=bad", host: host, want: 403},
		{name: "page empty token", method: "GET", target: "/?token=", host: host, want: 403},
		{name: "page POST", method: "POST", target: "/", host: host, want: 405},
		{name: "page PUT", method: "PUT", target: "/index.html", host: host, want: 405},
		{name: "page token exchange", method: "GET", target: "/?token=tok", host: host, want: 303},
	}
	runGuardCases(t, cases)
}

func TestTokenExchange(t *testing.T) {
	h, ran, s := spyRun(t)
	req := httptest.NewRequest("GET", "/?model=abc&token=tok&expand=all", nil)
	req.Host = "127.0.0.1:8080"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || *ran {
		t.Fatalf("status %d, ran %v", rec.Code, *ran)
	}
	loc := rec.Header().Get("Location")
	if strings.Contains(loc, "tok") || !strings.HasPrefix(loc, "/?") || !strings.Contains(loc, "model=abc") || !strings.Contains(loc, "expand=all") {
		t.Fatalf("Location %q", loc)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	c := cookies[0]
	if c.Name != cookiePrefix+"8080" || c.Value != s.session || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("cookie %+v", c)
	}
	if c.Value == s.Token() {
		t.Fatal("the session cookie must not be the launch token")
	}
}

// rawStatus sends raw request bytes and returns the status line.
func rawStatus(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	return strings.TrimSpace(line)
}

func TestRawRequests(t *testing.T) {
	lib := newFakeLib()
	s, addr := startServer(t, lib, nil)
	_, port, _ := net.SplitHostPort(addr)
	cookie := sessionCookie(s, addr).String()
	cases := []struct{ name, req, want string }{
		{"HTTP/1.0 without Host", "GET /api/models HTTP/1.0\r\nCookie: " + cookie + "\r\n\r\n", "403"},
		{"HTTP/1.0 page without Host", "GET / HTTP/1.0\r\n\r\n", "403"},
		{"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", "400"},
		{"empty host name", "GET /api/models HTTP/1.1\r\nHost: :" + port + "\r\nCookie: " + cookie + "\r\n\r\n", "403"},
		{"absolute-form other host", "GET http://evil.example/api/models HTTP/1.1\r\nHost: " + addr + "\r\nCookie: " + cookie + "\r\n\r\n", "403"},
		{"absolute-form own host", "GET http://" + addr + "/api/models HTTP/1.1\r\nHost: " + addr + "\r\nCookie: " + cookie + "\r\n\r\n", "403"},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: " + addr + "\r\n\r\n", "403"},
		{"CONNECT", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", "403"},
		{"*.localhost", "GET /api/models HTTP/1.1\r\nHost: evil.localhost:" + port + "\r\nCookie: " + cookie + "\r\n\r\n", "403"},
		{"huge header", "GET / HTTP/1.1\r\nHost: " + addr + "\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n", "431"},
		{"control", "GET /api/models HTTP/1.1\r\nHost: " + addr + "\r\nCookie: " + cookie + "\r\n\r\n", "200"},
	}
	for _, c := range cases {
		before := lib.callCount()
		got := rawStatus(t, addr, c.req)
		if !strings.Contains(got, " "+c.want+" ") {
			t.Errorf("%s: %q, want %s", c.name, got, c.want)
		}
		if c.want != "200" && lib.callCount() != before {
			t.Errorf("%s: the library was called", c.name)
		}
	}
}

func TestPanicRecovered(t *testing.T) {
	s, err := New(Config{Library: newFakeLib(), Logger: slogDiscard()})
	if err != nil {
		t.Fatal(err)
	}
	r := &run{s: s, port: "8080", hosts: allowedHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}), conns: map[net.Conn]*connInfo{}}
	h := r.chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "127.0.0.1:8080"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	checkHeaders(t, "panic", rec.Result().Header)
}

func TestPanicKeepsServing(t *testing.T) {
	lib := &panicLib{fakeLib: newFakeLib()}
	s, addr := startServer(t, lib, func(c *Config) { c.Logger = slogDiscard() })
	resp, _ := do(t, authed(t, s, addr, "GET", "/api/models/m1", nil))
	if resp.StatusCode != 500 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, _ = do(t, authed(t, s, addr, "GET", "/api/models", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("after a panic: %d", resp.StatusCode)
	}
}

type panicLib struct{ *fakeLib }

func (p *panicLib) Get(context.Context, string) (ModelInfo, *model.Model, error) {
	panic("library bug")
}

func FuzzGuard(f *testing.F) {
	f.Add("127.0.0.1:8080", "/api/models", "", "same-origin", "GET")
	f.Add("evil.example:8080", "/api/upload", "http://evil.example:8080", "same-origin", "POST")
	f.Add("[::1]:8080", "/?token=tok", "null", "", "GET")
	f.Add("localhost:8080", "/api/events", "http://localhost:8080", "", "DELETE")
	f.Add("127.0.0.1:8080", "/api/models", "http://127.0.0.1:8080", "cross-site", "POST")
	h, ran, s := spyRun(f)
	f.Fuzz(func(t *testing.T, host, target, origin, site, method string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") || method == "" ||
			strings.ContainsAny(method, " \r\n\t()<>@,;:\\\"/[]?={}") {
			return
		}
		req, err := http.NewRequest(method, "http://x"+target, nil)
		if err != nil {
			return
		}
		req.RequestURI = target
		req.Host = host
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", site)
		req.Header.Set("Cookie", fmt.Sprintf("%s%d=%s", cookiePrefix, testPort, s.session))
		*ran = false
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !*ran {
			return
		}
		allowed := map[string]bool{"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true}
		if !allowed[strings.ToLower(host)] {
			t.Fatalf("handler ran for Host %q", host)
		}
		if !strings.HasPrefix(req.URL.Path, "/api/") {
			// Public pages: only GET/HEAD, only without a bad token.
			if method != "GET" && method != "HEAD" {
				t.Fatalf("page handler ran for %s", method)
			}
			if req.URL.Query().Has("token") {
				t.Fatalf("page handler ran with a token parameter")
			}
			return
		}
		if site != "" && site != "same-origin" && site != "none" {
			t.Fatalf("handler ran for Sec-Fetch-Site %q", site)
		}
		if site == "" && origin != "" && origin != "http://"+host {
			t.Fatalf("handler ran for Origin %q at Host %q", origin, host)
		}
	})
}

// No request target reaches a file outside the embedded UI, and no API
// parameter is a file path.
func TestNoPathTraversal(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	cookie := sessionCookie(s, addr).String()
	for _, target := range []string{
		"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/sub/..%2f..%2fetc%2fpasswd",
		"/sub/..%5c..%5cetc%5cpasswd", "/index.html/../../etc/passwd", "/sub/", "/..", "/%00",
		"/api/models/m1/graph?path=/etc/passwd", "/api/models/m1/node?path=../../etc/passwd&index=0",
		"/api/models/..%2f..%2fetc%2fpasswd", "/api/models/m1/tensors/..%2f..%2fetc%2fpasswd",
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nConnection: close\r\n\r\n", target, addr, cookie)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(c)
		c.Close()
		status := strings.SplitN(string(b), "\r\n", 2)[0]
		if strings.Contains(string(b), "root:") || strings.Contains(status, " 200 ") {
			t.Errorf("%s: %s", target, status)
		}
	}
}
