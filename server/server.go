// Package server is modelpeek's loopback HTTP server: the embedded web UI,
// the JSON API over the app's model library, Server-Sent Events, uploads,
// and the guards that keep other web pages and other local users out.
//
// Its first promise is that Stop stops: streaming responses, half-sent
// requests and slow readers are all closed within a short grace period,
// and Start may follow on the same port at once.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultAddr              = "127.0.0.1:0"
	DefaultMaxUpload         = 8 << 30
	DefaultMaxUploads        = 4
	DefaultUploadQuota       = 2 * DefaultMaxUpload
	DefaultUploadIdle        = 30 * time.Second
	DefaultHeartbeat         = time.Minute
	DefaultMaxStreams        = 256
	DefaultGrace             = 500 * time.Millisecond
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	maxHeaderBytes           = 64 << 10
)

// Config configures a Server. Zero fields take the defaults above.
type Config struct {
	// Addr is the loopback address to listen on; port 0 picks a free port.
	Addr string
	// Library is the model library the API serves. Required.
	Library Library
	// Web is the static UI served at /. Nil serves nothing there.
	Web fs.FS
	// Token is the launch token accepted once per browser in ?token= (and
	// as "Authorization: Bearer" for scripts); "" generates one.
	Token string
	// UploadDir receives uploads; "" disables POST /api/upload.
	UploadDir string
	// MaxUpload caps one upload request body in bytes.
	MaxUpload int64
	// MaxUploads caps concurrent uploads; more get 503.
	MaxUploads int
	// UploadQuota caps the bytes stored in UploadDir (uploads still open);
	// an upload that would pass it gets 507.
	UploadQuota int64
	// UploadIdle is the rolling read deadline of an upload: the
	// connection is dropped when no byte arrives for this long.
	UploadIdle time.Duration
	// Heartbeat is the interval of SSE keep-alive comments. It is long
	// (a minute) because each one wakes the app: on loopback a page that
	// goes away closes its stream at once (net/http then cancels the
	// request), so the comment only keeps intermediaries from idling the
	// stream out.
	Heartbeat time.Duration
	// MaxStreams caps concurrent SSE streams; more get 503.
	MaxStreams int
	// Grace is how long Stop lets requests in flight finish before it
	// closes every connection.
	Grace             time.Duration
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// WriteTimeout bounds writing one non-streaming response.
	WriteTimeout time.Duration
	Logger       *slog.Logger
	// Quit, when set, serves POST /api/quit: the page's Quit button. It is
	// called after the 204 answer has been sent, and should end the app
	// (cancel its root context). Nil answers 404 there.
	Quit func()
}

func (c *Config) fill() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = DefaultMaxUpload
	}
	if c.UploadQuota <= 0 {
		c.UploadQuota = DefaultUploadQuota
	}
	if c.MaxUploads <= 0 {
		c.MaxUploads = DefaultMaxUploads
	}
	if c.UploadIdle <= 0 {
		c.UploadIdle = DefaultUploadIdle
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ErrNotLoopback is returned by Start for an address that is not a
// loopback IP.
var ErrNotLoopback = errors.New("refusing to listen on a non-loopback address")

// Server is the viewer server. It can be started and stopped any number of
// times; the SSE hub, the layout cache, the launch token and the session
// secret survive restarts.
type Server struct {
	cfg     Config
	log     *slog.Logger
	hub     *Hub
	graphs  *graphCache
	preps   *prepCache
	uploads chan struct{}
	reads   chan struct{} // slots for whole-tensor reads (values.go)
	token   string
	session string
	index   indexPage // the entry page and the content policy

	// warmSlot holds a token while a warm-up runs (see Warm).
	warmSlot chan struct{}
	// interimNodes is the node count from which a view lays out the
	// default one first (interim.go; tests lower it).
	interimNodes int

	mu       sync.Mutex
	run      *run
	lastAddr string // bound address of the last run (port 0 configs)
}

// New returns a stopped Server.
func New(cfg Config) (*Server, error) {
	if cfg.Library == nil {
		return nil, errors.New("server: Config.Library is required")
	}
	cfg.fill()
	var err error
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		hub:     NewHub(cfg.MaxStreams),
		uploads: make(chan struct{}, cfg.MaxUploads),
		reads:   make(chan struct{}, maxTensorReads),
		token:   cfg.Token,
	}
	s.graphs = newGraphCache(64, s.log)
	s.preps = newPrepCache()
	s.warmSlot = make(chan struct{}, 1)
	s.interimNodes = interimNodes
	if s.token == "" {
		s.token = randomHex(32)
	}
	s.session = randomHex(32)
	if s.index, err = composeIndex(cfg.Web); err != nil {
		s.log.Warn("serving the entry page as it is", "err", err)
	}
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error (crypto/rand contract)
	return hex.EncodeToString(b)
}

// Hub returns the SSE hub; Publish on it reaches every open stream.
func (s *Server) Hub() *Hub { return s.hub }

// Token returns the launch token.
func (s *Server) Token() string { return s.token }

// Start binds and starts serving. It returns the bound address
// ("127.0.0.1:43127"). If the server is already running it returns the
// current address. A Stop in progress is waited for first.
func (s *Server) Start() (string, error) {
	for {
		s.mu.Lock()
		r := s.run
		if r == nil {
			break
		}
		if !r.stopping() {
			s.mu.Unlock()
			return r.addr, nil
		}
		s.mu.Unlock()
		<-r.done
		s.mu.Lock()
		if s.run == r {
			s.run = nil
		}
		s.mu.Unlock()
	}
	defer s.mu.Unlock()
	r, err := s.newRun()
	if err != nil {
		return "", err
	}
	s.run = r
	go r.serve()
	return r.addr, nil
}

func (s *Server) newRun() (*run, error) {
	host, _, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", s.cfg.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%w: %s", ErrNotLoopback, s.cfg.Addr)
	}
	ln, err := s.listen()
	if err != nil {
		return nil, err
	}
	tcp := ln.Addr().(*net.TCPAddr)
	port := strconv.Itoa(tcp.Port)
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{
		s:         s,
		ln:        ln,
		addr:      ln.Addr().String(),
		port:      port,
		hosts:     allowedHosts(tcp),
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		serveDone: make(chan struct{}),
		conns:     map[net.Conn]*connInfo{},
		stopReq:   make(chan struct{}),
	}
	r.srv = &http.Server{
		Handler:           r.handler(),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// "OPTIONS *" must reach the guard (which refuses it) instead of
		// net/http's built-in answer.
		DisableGeneralOptionsHandler: true,
		BaseContext:                  func(net.Listener) context.Context { return ctx },
		ConnContext:                  r.connContext,
		ConnState:                    r.connState,
		ErrorLog:                     slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return r, nil
}

// listen binds the configured address. With port 0, a restart first
// tries the port of the previous run, so open pages (whose session cookie
// is per port) keep working across Stop and Start.
func (s *Server) listen() (net.Listener, error) {
	if _, port, _ := net.SplitHostPort(s.cfg.Addr); port == "0" && s.lastAddr != "" {
		if ln, err := net.Listen("tcp", s.lastAddr); err == nil {
			return ln, nil
		}
	}
	ln, err := listen(s.cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.lastAddr = ln.Addr().String()
	return ln, nil
}

// Addr returns the bound address, or "" when stopped.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil || s.run.stopping() {
		return ""
	}
	return s.run.addr
}

// URL returns the viewer's URL with the launch token
// ("http://127.0.0.1:43127/?token=..."), or "" when stopped.
func (s *Server) URL() string {
	a := s.Addr()
	if a == "" {
		return ""
	}
	return "http://" + a + "/?token=" + s.token
}

// Running reports whether the server is serving.
func (s *Server) Running() bool { return s.Addr() != "" }

// Done returns a channel closed when the current run has completely
// stopped (by Stop or because serving failed). When the server is not
// running the channel is already closed.
func (s *Server) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.run.done
}

// Wait blocks until the current run has stopped.
func (s *Server) Wait() { <-s.Done() }

// Stop stops the server: streams end at once, requests in flight get the
// grace period, then every connection is closed. It returns when the
// listener is closed and handlers have returned (or ctx is done). It is
// idempotent, safe to call concurrently, and a no-op when stopped.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	r := s.run
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	err := r.stop(ctx)
	s.mu.Lock()
	if s.run == r {
		s.run = nil
	}
	s.mu.Unlock()
	return err
}
