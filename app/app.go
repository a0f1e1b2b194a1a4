// Package app is modelpeek's application core: it owns the root context
// and an errgroup of every goroutine the app starts, the library of open
// models, the viewer server and the file watcher. *App implements
// tray.Controller (the tray drives it) and, as library (api.go),
// server.Library for the HTTP API. library.go loads models, watching.go
// follows their files.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/modelpeek/modelpeek/desktop/browser"
	"golang.org/x/sync/errgroup"

	"github.com/modelpeek/modelpeek/assets"
	"github.com/modelpeek/modelpeek/desktop/autostart"
	"github.com/modelpeek/modelpeek/internal/hugepages"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
	"github.com/modelpeek/modelpeek/tray"
	"github.com/modelpeek/modelpeek/watch"
)

// stopTimeout bounds a StopViewer or the server's part of Quit; the
// server itself force-closes after its grace period, well within it.
const stopTimeout = 3 * time.Second

// Options configure an App. Zero fields take defaults.
type Options struct {
	// Addr is the viewer's listen address (default 127.0.0.1:0).
	Addr string
	// Version is shown in State and the UI.
	Version string
	// ConfigDir holds recent.json; "" means os.UserConfigDir()/modelpeek.
	ConfigDir string
	// TempDir is where the upload directory is created; "" means
	// os.TempDir().
	TempDir string
	// Registry decodes models (model/all.Registry() in modelpeek). Required.
	Registry *model.Registry
	// OpenURL opens a URL in the browser; nil means desktop/browser.Open,
	// which keeps the system opener's output out of the terminal.
	OpenURL func(url string) error
	// Web is the UI served at /; nil means assets.Web.
	Web fs.FS
	// MaxParses caps concurrent model loads (default 2).
	MaxParses int
	// Server adjusts the server configuration (limits, timeouts) before
	// the server is created; Library, Addr, Web and UploadDir are set by
	// the App.
	Server func(*server.Config)
	// Autostart turns start-at-login on and off; nil means not available.
	Autostart autostart.Backend
	// HugePages backs the heap with huge pages while a big model is read
	// and laid out (internal/hugepages); nil means never.
	HugePages *hugepages.Heap
	// Watch configures the file watcher.
	Watch  watch.Options
	Logger *slog.Logger
}

// App is the running application. Create it with New, then Wait for it.
type App struct {
	opts     Options
	log      *slog.Logger
	reg      *model.Registry
	ctx      context.Context
	cancel   context.CancelFunc
	g        *errgroup.Group
	srv      *server.Server
	watcher  *watch.Watcher
	upDir    string
	verDir   string // kept versions of watched models (previous.go)
	parses   chan struct{}
	openURL  func(string) error
	recentFn string

	// viewerMu serialises starting and stopping the viewer with the
	// shutdown, so no StartViewer can slip in after Quit.
	viewerMu sync.Mutex

	// watchMu orders the watcher's set-ups (syncWatch); taken before mu.
	watchMu sync.Mutex
	// addWatch is a.watcher.Add (a test holds it to stand for a slow
	// set-up).
	addWatch func(key string, files []string) error

	mu        sync.Mutex
	closed    bool // ctx is done: no new goroutines
	models    []*entry
	byID      map[string]*entry
	recent    []string
	watching  bool
	viewerErr string
	autostart bool
	subs      map[*stateSub]struct{}

	// release wakes releaseLoop after a model is closed or laid out
	// (capacity one).
	release chan struct{}
}

var _ tray.Controller = (*App)(nil)

// New creates the App under parent (the root context from
// signal.NotifyContext). The viewer is not started; call StartViewer.
// Cancelling parent, or Quit, shuts everything down; Wait returns then.
func New(parent context.Context, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		return nil, errors.New("app: Options.Registry is required")
	}
	if opts.OpenURL == nil {
		opts.OpenURL = browser.Open
	}
	if opts.Web == nil {
		opts.Web = assets.Web
	}
	if opts.MaxParses <= 0 {
		opts.MaxParses = 2
	}
	if opts.ConfigDir == "" {
		dir, err := os.UserConfigDir()
		if err == nil {
			opts.ConfigDir = filepath.Join(dir, "modelpeek")
		}
	}
	a := &App{
		opts:     opts,
		log:      opts.Logger,
		reg:      opts.Registry,
		parses:   make(chan struct{}, opts.MaxParses),
		openURL:  opts.OpenURL,
		byID:     map[string]*entry{},
		watching: true,
		subs:     map[*stateSub]struct{}{},
		release:  make(chan struct{}, 1),
	}
	if opts.ConfigDir != "" {
		a.recentFn = filepath.Join(opts.ConfigDir, "recent.json")
		a.recent = loadRecent(a.recentFn, a.log)
	}

	tmp := opts.TempDir
	if tmp == "" {
		tmp = os.TempDir()
	}
	if err := a.makeDirs(tmp); err != nil {
		return nil, err
	}
	if err := a.makeServer(); err != nil {
		os.RemoveAll(a.upDir)
		os.RemoveAll(a.verDir)
		return nil, err
	}
	a.refreshAutostart()
	a.run(parent, tmp)
	return a, nil
}

// makeDirs makes the app's private folders in tmp: uploads and kept
// versions.
func (a *App) makeDirs(tmp string) error {
	up, err := makeUploadDir(tmp)
	if err != nil {
		return err
	}
	vers, err := makePrivateDir(tmp, versionsPrefix, "versions")
	if err != nil {
		os.RemoveAll(up)
		return err
	}
	a.upDir, a.verDir = up, vers
	return nil
}

// makeServer makes the viewer server and the file watcher.
func (a *App) makeServer() error {
	cfg := server.Config{}
	if a.opts.Server != nil {
		a.opts.Server(&cfg)
	}
	cfg.Addr = a.opts.Addr
	cfg.Library = (*library)(a)
	cfg.Web = a.opts.Web
	cfg.UploadDir = a.upDir
	cfg.Logger = a.log
	cfg.Quit = a.Quit
	var err error
	if a.srv, err = server.New(cfg); err != nil {
		return err
	}
	if a.watcher, err = watch.New(a.opts.Watch); err != nil {
		return fmt.Errorf("file watcher: %w", err)
	}
	a.addWatch = a.watcher.Add
	return nil
}

// run starts the app's goroutines under a context derived from parent.
func (a *App) run(parent context.Context, tmp string) {
	ctx, cancel := context.WithCancel(parent)
	a.g, a.ctx = errgroup.WithContext(ctx)
	a.cancel = cancel
	a.g.Go(func() error {
		// Without a watcher the app still works, without live reload.
		if err := a.watcher.Run(a.ctx); err != nil {
			a.log.Warn("watching files for changes stopped", "err", err)
		}
		return nil
	})
	a.g.Go(a.watchLoop)
	a.g.Go(a.releaseLoop)
	a.g.Go(a.shutdown)
	// A crashed run's folders are removed beside the start, not before
	// it: on a crowded temporary directory the scan took 5-13 ms before a
	// model given at launch could be read.
	a.g.Go(func() error {
		removeStaleUploadDirs(tmp, a.log)
		return nil
	})
}

// Context returns the app's context, done when the app quits.
func (a *App) Context() context.Context { return a.ctx }

// Server returns the viewer server (for tests and diagnostics).
func (a *App) Server() *server.Server { return a.srv }

// UploadDir returns the private directory uploads are stored in.
func (a *App) UploadDir() string { return a.upDir }

// Wait blocks until the app has quit and everything it started has
// stopped, removes the upload directory, and returns the first error of a
// goroutine of the app.
func (a *App) Wait() error {
	err := a.g.Wait()
	a.cancel()
	for _, d := range []string{a.upDir, a.verDir} {
		if rerr := os.RemoveAll(d); rerr != nil {
			a.log.Warn("cannot remove a private directory", "dir", d, "err", rerr)
		}
	}
	return err
}

// shutdown waits for the end and tears the viewer down.
func (a *App) shutdown() error {
	<-a.ctx.Done()
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	a.viewerMu.Lock()
	err := a.srv.Stop(ctx)
	a.viewerMu.Unlock()
	a.closeSubs()
	if err != nil {
		a.log.Warn("viewer shutdown", "err", err)
	}
	return nil
}

// goLocked runs f in the app's errgroup unless the app is shutting down.
// Callers hold a.mu.
func (a *App) goLocked(f func() error) bool {
	if a.closed {
		return false
	}
	a.g.Go(f)
	return true
}

// StartViewer starts the viewer server if it is stopped.
func (a *App) StartViewer() error {
	a.viewerMu.Lock()
	if a.ctx.Err() != nil {
		a.viewerMu.Unlock()
		return errors.New("modelpeek is quitting")
	}
	_, err := a.srv.Start()
	a.viewerMu.Unlock()
	a.mu.Lock()
	if err != nil {
		a.viewerErr = err.Error()
	} else {
		a.viewerErr = ""
	}
	a.mu.Unlock()
	a.notify()
	return err
}

// StopViewer stops the viewer server and releases its port.
func (a *App) StopViewer() error {
	ctx, cancel := context.WithTimeout(a.ctx, stopTimeout)
	defer cancel()
	a.viewerMu.Lock()
	err := a.srv.Stop(ctx)
	a.viewerMu.Unlock()
	a.notify()
	return err
}

// Show opens the browser at the viewer (at model id when not "").
func (a *App) Show(id string) error {
	if !a.srv.Running() {
		if err := a.StartViewer(); err != nil {
			return err
		}
	}
	u := a.srv.URL()
	if u == "" {
		return errors.New("the viewer is not running")
	}
	if id != "" {
		u += "&model=" + id
	}
	if err := a.openURL(u); err != nil {
		return fmt.Errorf("cannot open the browser: %w", err)
	}
	return nil
}

// SetAutostart turns start-at-login on or off.
func (a *App) SetAutostart(on bool) error {
	b := a.opts.Autostart
	if b == nil {
		return errors.New("start at login is not available here")
	}
	var err error
	if on {
		err = b.Enable()
	} else {
		err = b.Disable()
	}
	a.refreshAutostart()
	if err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}

// refreshAutostart reads the start-at-login state into State.
func (a *App) refreshAutostart() {
	if a.opts.Autostart == nil {
		return
	}
	st, err := a.opts.Autostart.Status()
	if err != nil {
		a.log.Debug("start at login status", "err", err)
	}
	a.mu.Lock()
	a.autostart = err == nil && st.Enabled
	a.notifyLocked()
	a.mu.Unlock()
}

// Quit cancels the app's context; Wait returns once everything stopped.
func (a *App) Quit() { a.cancel() }

// State returns a snapshot of the app's state.
func (a *App) State() tray.State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stateLocked()
}

func (a *App) stateLocked() tray.State {
	st := tray.State{
		Running:   a.srv.Running(),
		URL:       a.srv.URL(),
		Err:       a.viewerErr,
		Recent:    append([]string{}, a.recent...),
		Watching:  a.watching,
		Autostart: a.autostart,
		Version:   a.opts.Version,
		Models:    []server.ModelInfo{},
	}
	for _, e := range a.models {
		st.Models = append(st.Models, e.info())
	}
	return st
}
