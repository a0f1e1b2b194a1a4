package server

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
)

// Messages of the guard's refusals (plain text, 403).
const (
	msgBadHost   = "forbidden: unexpected Host header"
	msgBadOrigin = "forbidden: cross-origin request"
	msgNoSession = "forbidden: missing or invalid session"
	msgBadToken  = "forbidden: invalid token"
	cookiePrefix = "modelpeek_session_"
	tokenParam   = "token"
)

// handler builds the handler chain of a run. Order, outermost first:
// security headers, panic recovery, stop tracking, Host allowlist, then per
// route: cross-origin checks and the session cookie for /api/.
func (r *run) handler() http.Handler {
	return r.chain(r.routes())
}

// chain wraps the routes in the layers every request passes.
func (r *run) chain(routes http.Handler) http.Handler {
	return securityHeaders(r.s.index.policy, recoverPanics(r.s.log, r.track(r.checkHost(routes))))
}

// securityHeaders sets the headers every answer carries; policy is the
// Content-Security-Policy (see indexPage).
//
// No Cross-Origin-Opener-Policy: it made the browser move the page to a
// new process when it opened (a new browsing context group), which cost
// 170-270 ms of every page load on a 2-core machine (a bare page: 163-206
// ms without it, 350-437 ms with it, one browser), the largest fixed cost
// left (issue 26). What it guards against, a page of another site keeping
// a handle on ours, gains that site nothing here: the session cookie is
// SameSite=Strict, so a window another site opens on the viewer carries
// no session and shows only a refusal; framing is refused (frame-ancestors,
// X-Frame-Options) and the page listens to no messages.
func securityHeaders(policy string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, req)
	})
}

// statusWriter remembers whether the header was written, so a recovered
// panic answers 500 only when nothing was sent yet.
type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher.
func (w *statusWriter) Flush() {
	w.wrote = true
	http.NewResponseController(w.ResponseWriter).Flush()
}

func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			log.Error("panic in HTTP handler", "method", req.Method, "path", req.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !sw.wrote {
				http.Error(sw, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(sw, req)
	})
}

// hostAllowed reports whether a request targets this server by an
// accepted name: origin-form request target and an exact, known Host.
func (r *run) hostAllowed(req *http.Request) bool {
	if !strings.HasPrefix(req.RequestURI, "/") {
		return false // absolute-form, authority-form or "*"
	}
	return r.hosts[strings.ToLower(req.Host)]
}

func (r *run) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.hostAllowed(req) {
			forbid(w, msgBadHost)
			return
		}
		next.ServeHTTP(w, req)
	})
}

func forbid(w http.ResponseWriter, msg string) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, http.StatusForbidden)
}

// sameOrigin reports whether a request may come from where it says it
// comes from. Browsers send Sec-Fetch-Site; only "same-origin" (our own
// page) and "none" (the user typed or clicked the URL) pass. Without it, an
// Origin header must name this very origin. Requests with neither come
// from programs, not pages, and are left to the session check.
func sameOrigin(req *http.Request) bool {
	if site := req.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	if o := req.Header.Get("Origin"); o != "" {
		return o == "http://"+req.Host
	}
	return true
}

var crossOrigin = http.NewCrossOriginProtection()

// api guards a JSON API route: same-origin only, Go's cross-origin
// protection for unsafe methods, and a valid session.
func (r *run) api(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !sameOrigin(req) {
			forbid(w, msgBadOrigin)
			return
		}
		if err := crossOrigin.Check(req); err != nil {
			forbid(w, msgBadOrigin)
			return
		}
		if !r.hasSession(req) {
			forbid(w, msgNoSession)
			return
		}
		next.ServeHTTP(w, req)
	})
}

func (r *run) cookieName() string { return cookiePrefix + r.port }

func (r *run) hasSession(req *http.Request) bool {
	if c, err := req.Cookie(r.cookieName()); err == nil {
		return equalSecret(c.Value, r.s.session)
	}
	if a := req.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		return equalSecret(strings.TrimPrefix(a, "Bearer "), r.s.token)
	}
	return false
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// page serves the static UI. A ?token= in the URL is exchanged for the
// session cookie and the browser is sent to the same URL without it.
// Pages are public (they hold no user data) but only GET/HEAD reach them.
func (r *run) page(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := req.URL.Query()
		if !q.Has(tokenParam) {
			next.ServeHTTP(w, req)
			return
		}
		if !equalSecret(q.Get(tokenParam), r.s.token) {
			forbid(w, msgBadToken)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name:     r.cookieName(),
			Value:    r.s.session,
			Path:     "/",
			HttpOnly: true,
			SameSite: http.SameSiteStrictMode,
		})
		q.Del(tokenParam)
		r.nameFirstModel(req.URL.Path, q)
		clean := url.URL{Path: req.URL.Path, RawQuery: q.Encode()}
		http.Redirect(w, req, clean.String(), http.StatusSeeOther)
	})
}
