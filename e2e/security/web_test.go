package security

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// webAttack is one hostile request, written as raw HTTP/1.x with
// placeholders: {addr} (127.0.0.1:port), {port}, {other} (another
// loopback port), {cookie} (a valid session cookie header line), {id} (an
// open model's ID).
type webAttack struct {
	name string
	req  string
	want []int // acceptable status codes; 0 = connection closed, no answer
}

// reportTable collects attack -> result lines for the test log.
type reportTable struct {
	mu    sync.Mutex
	lines []string
}

func (r *reportTable) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *reportTable) log(t *testing.T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Logf("attack -> result:\n%s", strings.Join(r.lines, "\n"))
}

const passwdMarker = "root:x:0:0"

// TestWebAttacks runs the hostile-request table against a real server:
// DNS rebinding, cross-site requests, missing session, path traversal,
// oversized headers and bodies, debug routes. No attack may change state,
// every answer carries the security headers, and none allows CORS.
func TestWebAttacks(t *testing.T) {
	plain, hostile := modelDir(t)
	p := start(t, plain, hostile)
	cookie := p.session(t)
	cookieLine := "Cookie: " + cookie.Name + "=" + cookie.Value + "\r\n"
	port, _ := strconv.Atoi(p.port)
	other := strconv.Itoa(port + 1)
	if port == 65535 {
		other = strconv.Itoa(port - 1)
	}
	id := modelID(t, p, cookieLine, "plain.safetensors")

	upload := func(headers string) string {
		body := string(npyBytes())
		return "POST /api/upload HTTP/1.1\r\nHost: {addr}\r\n" + headers + "X-Filename: a.npy\r\nContent-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	get := func(path, headers string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: {addr}\r\n" + headers + "Connection: close\r\n\r\n"
	}
	withHost := func(method, path, host string) string {
		return method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n{cookie}Content-Length: 0\r\nConnection: close\r\n\r\n"
	}
	forbidden := []int{http.StatusForbidden}
	// ServeMux answers unclean paths with a redirect to the clean one on
	// this server, which then 404s; the Location check below keeps the
	// redirect on this origin.
	notFound := []int{http.StatusNotFound, http.StatusBadRequest, http.StatusForbidden, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect}

	var attacks []webAttack
	// DNS rebinding: every route, every foreign Host.
	for _, host := range []string{"evil.com", "evil.com:{port}", "localhost.evil.com:{port}", "127.0.0.1.evil.com:{port}",
		"127.0.0.1:{other}", "localhost:{other}", "foo.localhost:{port}", "localhost.:{port}", "LOCALHOST.:{port}", ":{port}", "127.0.0.1", "localhost",
		"[::1]", "0.0.0.0:{port}", "127.0.0.2:{port}", "127.1:{port}", "2130706433:{port}"} {
		for _, route := range []struct{ method, path string }{{"GET", "/"}, {"GET", "/api/models"}, {"GET", "/api/events"}, {"GET", "/api/schema?op=Conv"}, {"POST", "/api/upload"}, {"DELETE", "/api/models/{id}"}, {"OPTIONS", "/api/models"}} {
			attacks = append(attacks, webAttack{fmt.Sprintf("Host %s: %s %s", host, route.method, route.path), withHost(route.method, route.path, host), forbidden})
		}
	}
	attacks = append(attacks,
		webAttack{"empty Host (HTTP/1.1)", "GET /api/models HTTP/1.1\r\nHost: \r\n{cookie}Connection: close\r\n\r\n", []int{http.StatusForbidden, http.StatusBadRequest}},
		webAttack{"no Host (HTTP/1.0)", "GET /api/models HTTP/1.0\r\n{cookie}\r\n", forbidden},
		webAttack{"no Host (HTTP/1.1)", "GET /api/models HTTP/1.1\r\n{cookie}Connection: close\r\n\r\n", []int{http.StatusBadRequest, http.StatusForbidden}},
		webAttack{"two Host headers", "GET /api/models HTTP/1.1\r\nHost: {addr}\r\nHost: evil.com\r\n{cookie}Connection: close\r\n\r\n", []int{http.StatusBadRequest, http.StatusForbidden}},
		webAttack{"absolute-form, foreign host", "GET http://evil.com/api/models HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n", forbidden},
		webAttack{"absolute-form, own host", "GET http://{addr}/api/models HTTP/1.1\r\nHost: evil.com\r\n{cookie}Connection: close\r\n\r\n", forbidden},
		webAttack{"authority-form CONNECT", "CONNECT {addr} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n", []int{http.StatusForbidden, http.StatusBadRequest, http.StatusMethodNotAllowed}},
		webAttack{"asterisk-form OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n", []int{http.StatusForbidden, http.StatusBadRequest, http.StatusOK}},
		webAttack{"Host with control byte", "GET /api/models HTTP/1.1\r\nHost: 127.0.0.1\x01:{port}\r\n{cookie}Connection: close\r\n\r\n", []int{http.StatusBadRequest, http.StatusForbidden}},
		webAttack{"Host 60 KiB long", "GET /api/models HTTP/1.1\r\nHost: " + strings.Repeat("a", 60<<10) + "\r\n{cookie}Connection: close\r\n\r\n", []int{http.StatusBadRequest, http.StatusForbidden, http.StatusRequestHeaderFieldsTooLarge}},

		// Cross-site writes, session cookie attached (the browser sends it
		// for same-site requests from other localhost ports).
		webAttack{"upload, Origin evil.com", upload("{cookie}Origin: http://evil.com\r\n"), forbidden},
		webAttack{"upload, Origin null", upload("{cookie}Origin: null\r\n"), forbidden},
		webAttack{"upload, Origin other localhost port", upload("{cookie}Origin: http://127.0.0.1:{other}\r\n"), forbidden},
		webAttack{"upload, Origin with userinfo", upload("{cookie}Origin: http://u:p@{addr}\r\n"), forbidden},
		webAttack{"upload, Sec-Fetch-Site cross-site", upload("{cookie}Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nOrigin: http://evil.com\r\n"), forbidden},
		webAttack{"upload, Sec-Fetch-Site same-site (other port)", upload("{cookie}Sec-Fetch-Site: same-site\r\nSec-Fetch-Mode: cors\r\nOrigin: http://localhost:{other}\r\n"), forbidden},
		webAttack{"upload, Sec-Fetch-Site same-site, no Origin", upload("{cookie}Sec-Fetch-Site: same-site\r\n"), forbidden},
		webAttack{"upload as text/plain form, cross-site", strings.Replace(upload("{cookie}Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\n"), "application/octet-stream", "text/plain", 1), forbidden},
		webAttack{"DELETE model, Origin evil.com", "DELETE /api/models/{id} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Origin: http://evil.com\r\nConnection: close\r\n\r\n", forbidden},
		webAttack{"DELETE model, Sec-Fetch-Site same-site", "DELETE /api/models/{id} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Sec-Fetch-Site: same-site\r\nConnection: close\r\n\r\n", forbidden},
		webAttack{"POST watch, Sec-Fetch-Site cross-site", "POST /api/watch HTTP/1.1\r\nHost: {addr}\r\n{cookie}Sec-Fetch-Site: cross-site\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", forbidden},
		webAttack{"CORS preflight from evil.com", "OPTIONS /api/upload HTTP/1.1\r\nHost: {addr}\r\nOrigin: https://evil.com\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Private-Network: true\r\nSec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: cors\r\nConnection: close\r\n\r\n", []int{http.StatusForbidden, http.StatusMethodNotAllowed}},
		// Cross-site reads (XSSI, event stream).
		webAttack{"GET models, Sec-Fetch-Site cross-site", get("/api/models", "{cookie}Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\n"), forbidden},
		webAttack{"GET models, Sec-Fetch-Site same-site", get("/api/models", "{cookie}Sec-Fetch-Site: same-site\r\nSec-Fetch-Mode: cors\r\n"), forbidden},
		webAttack{"GET events, Sec-Fetch-Site cross-site", get("/api/events", "{cookie}Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: cors\r\nAccept: text/event-stream\r\n"), forbidden},
		webAttack{"GET events, Origin evil.com", get("/api/events", "{cookie}Origin: http://evil.com\r\nAccept: text/event-stream\r\n"), forbidden},
		webAttack{"GET graph, Sec-Fetch-Site cross-site", get("/api/models/{id}/graph", "{cookie}Sec-Fetch-Site: cross-site\r\n"), forbidden},
		webAttack{"GET schema, Sec-Fetch-Site cross-site", get("/api/schema?op=Conv", "{cookie}Sec-Fetch-Site: cross-site\r\n"), forbidden},
		webAttack{"GET schema, no session", get("/api/schema?op=Conv", ""), forbidden},

		// No session (another local user, a script without the token).
		webAttack{"GET models, no cookie", get("/api/models", ""), forbidden},
		webAttack{"GET events, no cookie", get("/api/events", ""), forbidden},
		webAttack{"upload, no cookie", upload(""), forbidden},
		webAttack{"DELETE model, no cookie", "DELETE /api/models/{id} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n", forbidden},
		webAttack{"GET models, wrong cookie", get("/api/models", "Cookie: modelpeek_session_{port}=00000000000000000000000000000000\r\n"), forbidden},
		webAttack{"GET models, cookie named for another port", get("/api/models", "Cookie: modelpeek_session_{other}="+cookie.Value+"\r\n"), forbidden},
		webAttack{"GET models, wrong Bearer token", get("/api/models", "Authorization: Bearer 0000\r\n"), forbidden},
		webAttack{"GET models, empty Bearer token", get("/api/models", "Authorization: Bearer \r\n"), forbidden},
		webAttack{"page with wrong ?token=", get("/?token=wrong", ""), forbidden},
		webAttack{"page with empty ?token=", get("/?token=", ""), forbidden},

		// Paths: no request parameter is a path.
		webAttack{"static ../../etc/passwd", get("/../../../../etc/passwd", ""), notFound},
		webAttack{"static %2e%2e traversal", get("/%2e%2e/%2e%2e/%2e%2e/etc/passwd", ""), notFound},
		webAttack{"static ..%2f traversal", get("/assets/..%2f..%2f..%2f..%2fetc%2fpasswd", ""), notFound},
		webAttack{"static ..%5c traversal", get("/..%5c..%5c..%5cetc%5cpasswd", ""), notFound},
		webAttack{"static //etc/passwd", get("//etc/passwd", ""), notFound},
		webAttack{"static /.git/config", get("/.git/config", ""), notFound},
		webAttack{"model id ../../etc/passwd", get("/api/models/..%2f..%2f..%2fetc%2fpasswd", "{cookie}"), notFound},
		webAttack{"model id /etc/passwd", get("/api/models/%2fetc%2fpasswd", "{cookie}"), notFound},
		webAttack{"tensor name ../../etc/passwd (encoded)", get("/api/models/{id}/tensors/..%2f..%2f..%2f..%2fetc%2fpasswd", "{cookie}"), notFound},
		webAttack{"tensor name ../../etc/passwd (raw)", get("/api/models/{id}/tensors/../../../../etc/passwd", "{cookie}"), notFound},
		webAttack{"tensor name /etc/passwd", get("/api/models/{id}/tensors//etc/passwd", "{cookie}"), notFound},
		webAttack{"graph path=../../etc/passwd", get("/api/models/{id}/graph?path=../../../etc/passwd", "{cookie}"), notFound},
		webAttack{"cost path=../../etc/passwd", get("/api/models/{id}/cost?path=../../../etc/passwd", "{cookie}"), notFound},
		webAttack{"cost dims=/etc/passwd", get("/api/models/{id}/cost?dims=/etc/passwd", "{cookie}"), notFound},
		webAttack{"GET cost, Sec-Fetch-Site cross-site", get("/api/models/{id}/cost", "{cookie}Sec-Fetch-Site: cross-site\r\n"), forbidden},
		webAttack{"list with ?path=/etc/passwd", get("/api/models?path=/etc/passwd&file=/etc/passwd", "{cookie}"), []int{http.StatusOK}},
		webAttack{"guessed model id", get("/api/models/0000000000000000", "{cookie}"), []int{http.StatusNotFound}},

		// Resources and debug routes.
		webAttack{"100 KiB header", "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Big: " + strings.Repeat("b", 100<<10) + "\r\nConnection: close\r\n\r\n", []int{http.StatusRequestHeaderFieldsTooLarge}},
		webAttack{"upload Content-Length 9 GiB", "POST /api/upload HTTP/1.1\r\nHost: {addr}\r\n{cookie}Sec-Fetch-Site: same-origin\r\nX-Filename: big.gguf\r\nContent-Length: 9663676416\r\n\r\nGGUF", []int{http.StatusRequestEntityTooLarge}},
		webAttack{"GET /debug/pprof/", get("/debug/pprof/", "{cookie}"), []int{http.StatusNotFound}},
		webAttack{"GET /debug/pprof/goroutine?debug=2", get("/debug/pprof/goroutine?debug=2", "{cookie}"), []int{http.StatusNotFound}},
		webAttack{"GET /debug/vars", get("/debug/vars", "{cookie}"), []int{http.StatusNotFound}},
		webAttack{"GET on a mutating route (upload)", get("/api/upload", "{cookie}Sec-Fetch-Site: same-origin\r\n"), []int{http.StatusMethodNotAllowed, http.StatusNotFound}},
		webAttack{"TRACE /", "TRACE / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n", []int{http.StatusMethodNotAllowed, http.StatusForbidden, http.StatusNotFound}},
	)

	repl := strings.NewReplacer("{addr}", p.addr, "{port}", p.port, "{other}", other, "{cookie}", cookieLine, "{id}", id)
	filesBefore := p.uploadFiles(t)
	table := &reportTable{}
	var answers []rawResponse
	for _, a := range attacks {
		resp := p.raw(t, repl.Replace(a.req))
		result := strconv.Itoa(resp.status)
		if resp.status == 0 {
			result = "closed: " + fmt.Sprint(resp.err)
		} else {
			answers = append(answers, resp)
		}
		table.add("%-58s -> %s %s", a.name, result, strings.TrimSpace(firstLine(resp.body)))
		if !slices.Contains(a.want, resp.status) {
			t.Errorf("%s: status %d (%v), want one of %v; body %q", a.name, resp.status, resp.err, a.want, firstLine(resp.body))
		}
		if loc := resp.header.Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\")) {
			t.Errorf("%s: redirect off this origin: Location %q", a.name, loc)
		}
		if strings.Contains(resp.body, passwdMarker) {
			t.Errorf("%s: the answer holds /etc/passwd", a.name)
		}
	}

	// Nothing an attack sent was stored or removed.
	if after := p.uploadFiles(t); !slices.Equal(filesBefore, after) {
		t.Errorf("attacks changed the upload directory: %v -> %v", filesBefore, after)
	}
	if modelID(t, p, cookieLine, "plain.safetensors") != id {
		t.Error("an attack closed the model")
	}

	// Positive controls: the same requests from our own page pass, so
	// the refusals above are the guard's doing.
	controls := []webAttack{
		{"control: GET models, own Host + cookie", get("/api/models", "{cookie}Sec-Fetch-Site: same-origin\r\n"), []int{http.StatusOK}},
		{"control: GET models, localhost Host", "GET /api/models HTTP/1.1\r\nHost: localhost:{port}\r\n{cookie}Connection: close\r\n\r\n", []int{http.StatusOK}},
		{"control: GET models, Bearer token", get("/api/models", "Authorization: Bearer "+p.token+"\r\n"), []int{http.StatusOK}},
		{"control: page /", get("/", ""), []int{http.StatusOK}},
		{"control: upload, same-origin", upload("{cookie}Sec-Fetch-Site: same-origin\r\nOrigin: http://{addr}\r\n"), []int{http.StatusOK}},
	}
	for _, c := range controls {
		resp := p.raw(t, repl.Replace(c.req))
		answers = append(answers, resp)
		table.add("%-58s -> %d", c.name, resp.status)
		if !slices.Contains(c.want, resp.status) {
			t.Errorf("%s: status %d (%v), want %v; body %q", c.name, resp.status, resp.err, c.want, firstLine(resp.body))
		}
	}
	if n := len(p.uploadFiles(t)); n != len(filesBefore)+1 {
		t.Errorf("the same-origin upload stored %d files, want 1", n-len(filesBefore))
	}

	// Every answer of our handlers carries the security headers; none
	// allows cross-origin reads. (Answers net/http writes itself before
	// any handler runs, such as 431 and malformed-request 400s, have
	// neither: they carry no data.)
	for _, r := range answers {
		for k := range r.header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-allow") {
				t.Errorf("status %d answer has %s: %v", r.status, k, r.header[k])
			}
		}
		if fromNetHTTP(r) {
			continue
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("status %d answer (%q): CSP %q lacks default-src 'self' / frame-ancestors 'none'", r.status, firstLine(r.body), csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("status %d answer (%q): no X-Content-Type-Options: nosniff", r.status, firstLine(r.body))
		}
	}
	table.log(t)
}

// fromNetHTTP reports whether an answer was written by net/http itself
// (malformed request, headers too large), not by modelpeek's handlers.
func fromNetHTTP(r rawResponse) bool {
	return r.status == http.StatusRequestHeaderFieldsTooLarge ||
		(r.status == http.StatusBadRequest && strings.HasPrefix(r.body, "400 Bad Request"))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// modelID returns the ID of the open model called name.
func modelID(t testing.TB, p *app, cookieLine, name string) string {
	t.Helper()
	var list []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	ok := waitFor(10*time.Second, func() bool {
		resp := p.raw(t, "GET /api/models HTTP/1.1\r\nHost: "+p.addr+"\r\n"+cookieLine+"Connection: close\r\n\r\n")
		if resp.status != http.StatusOK || json.Unmarshal([]byte(resp.body), &list) != nil {
			return false
		}
		return slices.ContainsFunc(list, func(e struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}) bool {
			return e.Name == name
		})
	})
	if !ok {
		t.Fatalf("model %q not in the list: %+v", name, list)
	}
	for _, e := range list {
		if e.Name == name {
			return e.ID
		}
	}
	return ""
}
