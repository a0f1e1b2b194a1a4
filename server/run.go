package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
)

// handlerWait bounds how long Stop waits, after closing every connection,
// for handlers to notice and return.
const handlerWait = 2 * time.Second

// run is one Start..Stop cycle of a Server.
type run struct {
	s      *Server
	srv    *http.Server
	ln     net.Listener
	addr   string
	port   string
	hosts  map[string]bool
	ctx    context.Context // base context of every request; cancelled by stop
	cancel context.CancelFunc

	stopOnce  sync.Once
	stopReq   chan struct{} // closed when stopping begins
	done      chan struct{} // closed when fully stopped
	serveDone chan struct{}
	stopErr   error

	mu       sync.Mutex
	conns    map[net.Conn]*connInfo
	handlers int           // handlers running
	closing  bool          // no new handlers
	idle     chan struct{} // closed when handlers reaches 0 while closing
}

// connInfo tracks whether a handler is running on a connection, so that
// Stop can close at once the connections that are only sending headers or
// sitting idle.
type connInfo struct {
	busy int
}

type connKey struct{}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("cannot listen on %s: the port is already in use", addr)
		}
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

func (r *run) stopping() bool {
	select {
	case <-r.stopReq:
		return true
	default:
		return false
	}
}

func (r *run) serve() {
	err := r.srv.Serve(r.ln)
	close(r.serveDone)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		r.s.log.Error("viewer server failed", "err", err)
		go r.stop(context.Background())
	}
}

func (r *run) connContext(ctx context.Context, c net.Conn) context.Context {
	ci := &connInfo{}
	r.mu.Lock()
	r.conns[c] = ci
	r.mu.Unlock()
	return context.WithValue(ctx, connKey{}, ci)
}

// connState forgets closed connections and, once stopping has begun,
// closes each connection as soon as it has nothing in flight: one just
// accepted (still sending headers) or one whose last response is written.
// Shutdown alone would find those only by polling with a growing interval,
// and would wait out the whole grace for a connection accepted after it
// began.
func (r *run) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateClosed, http.StateHijacked:
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
	case http.StateNew, http.StateIdle:
		r.mu.Lock()
		closing := r.closing
		r.mu.Unlock()
		if closing {
			c.Close()
		}
	}
}

// enter registers a running handler; it fails once stopping has begun.
func (r *run) enter(req *http.Request) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	r.handlers++
	if ci, ok := req.Context().Value(connKey{}).(*connInfo); ok {
		ci.busy++
	}
	return true
}

func (r *run) leave(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers--
	if ci, ok := req.Context().Value(connKey{}).(*connInfo); ok {
		ci.busy--
	}
	if r.closing && r.handlers == 0 && r.idle != nil {
		close(r.idle)
		r.idle = nil
	}
}

// track wraps the whole handler chain: it counts running handlers and
// refuses new requests once stopping has begun.
func (r *run) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.enter(req) {
			w.Header().Set("Connection", "close")
			http.Error(w, "server is stopping", http.StatusServiceUnavailable)
			return
		}
		defer r.leave(req)
		next.ServeHTTP(w, req)
	})
}

// closeQuietConns closes every connection on which no handler runs: idle
// keep-alive connections and clients still sending their request headers.
func (r *run) closeQuietConns() {
	r.mu.Lock()
	var quiet []net.Conn
	for c, ci := range r.conns {
		if ci.busy == 0 {
			quiet = append(quiet, c)
		}
	}
	r.mu.Unlock()
	for _, c := range quiet {
		c.Close()
	}
}

// stop runs the shutdown sequence once; concurrent callers wait for it.
func (r *run) stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		close(r.stopReq)
		defer close(r.done)
		start := time.Now()
		r.cancel() // ends SSE streams, waits for models and layouts
		r.mu.Lock()
		r.closing = true
		idle := make(chan struct{})
		if r.handlers == 0 {
			close(idle)
		} else {
			r.idle = idle
		}
		r.mu.Unlock()
		r.closeQuietConns()

		grace, cancel := context.WithTimeout(ctx, r.s.cfg.Grace)
		err := r.srv.Shutdown(grace)
		cancel()
		if err != nil {
			r.srv.Close()
		}
		<-r.serveDone
		// Shutdown does not close connections that were still reading
		// headers when it started; Close after Shutdown does.
		r.srv.Close()
		select {
		case <-idle:
		case <-time.After(handlerWait):
			r.stopErr = errors.New("some request handlers did not return after the server stopped")
			r.s.log.Warn("viewer stop: handlers still running", "after", time.Since(start))
		}
		r.s.log.Debug("viewer stopped", "addr", r.addr, "took", time.Since(start))
	})
	<-r.done
	return r.stopErr
}

// allowedHosts lists the Host header values accepted for a listener:
// the loopback names with its exact port, lower case.
func allowedHosts(a *net.TCPAddr) map[string]bool {
	port := fmt.Sprint(a.Port)
	hosts := map[string]bool{
		"127.0.0.1:" + port: true,
		"localhost:" + port: true,
		"[::1]:" + port:     true,
	}
	hosts[strings.ToLower(net.JoinHostPort(a.IP.String(), port))] = true
	return hosts
}
