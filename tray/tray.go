// Package tray puts modelpeek in the system tray (fyne.io/systray), bound to
// the app's Controller only.
//
// Lifecycle: Run is called on the main goroutine and blocks in
// systray.Run. The Quit item only calls Controller.Quit; the app then
// cancels the context given to Run (or closes its Subscribe stream), which
// ends the systray loop, and Run returns after every goroutine it started
// has ended.
//
// Clicks are not lost while the app is busy: systray delivers a click
// with a non-blocking send, so every item has its own goroutines parked on
// its channel that only count clicks, and a separate worker per item does
// the work.
package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/systray"
)

// ErrNoTray is returned by Run when no tray host can be used (on Linux:
// no D-Bus session bus, or no StatusNotifierWatcher on it); the caller
// then runs headless.
var ErrNoTray = errors.New("no system tray available")

// ErrAlreadyRan is returned by a second call to Run: systray keeps
// process-wide state and works once per process.
var ErrAlreadyRan = errors.New("tray: Run may be called only once per process")

// ran guards the process-wide systray loop (see ErrAlreadyRan).
var ran atomic.Bool

// Default pool sizes for the dynamic parts of the menu.
const (
	DefaultMaxModels = 10
	DefaultMaxRecent = 10
)

// readyWait bounds how long Run waits, after the loop ended, for a menu
// construction that is still in progress.
const readyWait = 2 * time.Second

// Options configure the tray.
type Options struct {
	// Logger receives errors of menu actions; nil means slog.Default().
	Logger *slog.Logger
	// MaxModels and MaxRecent are how many open models and recent files
	// the menu lists (more models show as "N more…"); 0 means the defaults.
	MaxModels, MaxRecent int
	// ChooseFiles shows a file chooser; nil means the native one
	// (ChooseFiles in this package). It returns no paths when the user
	// cancelled; an error opens the viewer's start page (with its drop
	// zone) instead.
	ChooseFiles func(ctx context.Context) ([]string, error)
	// HostLost, when set, is called (on a goroutine of Run) each time the
	// tray host leaves the session bus while Run runs: the icon is gone
	// until a host comes back (systray then shows it again by itself).
	HostLost func()
	// About shows the About box; nil means a native message box (ShowInfo),
	// falling back to the viewer's start page.
	About func(ctx context.Context, version string) error
}

// Run shows the tray icon and menu and blocks (on the main goroutine) until
// ctx is done or the user picks Quit (which calls ctrl.Quit). It returns
// ErrNoTray without blocking when there is no tray host.
func Run(ctx context.Context, ctrl Controller, opts Options) error {
	if ctx.Err() != nil {
		return nil
	}
	host, err := probeHost(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoTray, err)
	}
	defer host.close()
	if !ran.CompareAndSwap(false, true) {
		return ErrAlreadyRan
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxModels <= 0 {
		opts.MaxModels = DefaultMaxModels
	}
	if opts.MaxRecent <= 0 {
		opts.MaxRecent = DefaultMaxRecent
	}
	if opts.ChooseFiles == nil {
		opts.ChooseFiles = ChooseFiles
	}
	if opts.About == nil {
		opts.About = func(ctx context.Context, version string) error {
			return ShowInfo(ctx, LabelAbout, "modelpeek "+version+
				"\nShows machine-learning model files as interactive graphs.")
		}
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &runner{ctrl: ctrl, opts: opts, log: opts.Logger, m: &menu{}, stop: cancel}

	// Icon, title and tooltip go in before the loop starts: they become
	// the item's initial properties (setting them from onReady races with
	// the export on Linux).
	st := ctrl.State()
	if runtime.GOOS != "darwin" { // on macOS the title is text in the menu bar
		systray.SetTitle("modelpeek")
	}
	setIcon(stateIcon(st))
	systray.SetTooltip(tooltip(st))

	// The tray host may leave (a desktop shell restarting or gone): the
	// app is told, so the user is not left without a way in.
	hostDone := make(chan struct{})
	go func() {
		defer close(hostDone)
		host.follow(rctx, func() {
			r.log.Warn("tray: the tray host left the session bus")
			if opts.HostLost != nil {
				opts.HostLost()
			}
		})
	}()
	defer func() { cancel(); <-hostDone }()

	quitDone := make(chan struct{})
	go func() {
		defer close(quitDone)
		<-rctx.Done()
		systray.Quit()
	}()
	readyDone := make(chan struct{})
	systray.Run(func() {
		defer close(readyDone)
		r.ready(rctx)
	}, nil)

	cancel()
	<-quitDone
	select {
	case <-readyDone:
	case <-time.After(readyWait):
		r.log.Warn("tray: menu construction still running at exit")
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}

// runner owns the goroutines of one Run.
type runner struct {
	ctrl Controller
	opts Options
	log  *slog.Logger
	m    *menu
	// stop ends the tray loop (cancels Run's internal context).
	stop context.CancelFunc

	mu     sync.Mutex
	closed bool // set after the loop ended; no goroutine may start then
	wg     sync.WaitGroup
}

// ready builds the menu and starts its goroutines. It runs on systray's
// onReady goroutine and returns promptly (the host's GetLayout waits for
// it).
func (r *runner) ready(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || ctx.Err() != nil {
		return
	}
	m := r.m
	m.build(r.ctrl.State(), r.opts.MaxModels, r.opts.MaxRecent)

	// Quit first: the menu is on the bus once built, and systray drops a
	// click no goroutine waits for, so its receivers are started before
	// any other item's. They only ask the app to quit; the app cancels
	// ctx, which ends the loop (see Run).
	r.onClick(ctx, m.quit, true, func(context.Context) { r.ctrl.Quit() })
	for i, it := range m.models {
		r.onClick(ctx, it, false, func(context.Context) {
			m.mu.Lock()
			id := m.modelIDs[i]
			m.mu.Unlock()
			if id != "" {
				r.check("show model", r.ctrl.Show(id))
			}
		})
	}
	for i, it := range m.compareBy {
		r.onClick(ctx, it, false, func(context.Context) {
			m.mu.Lock()
			id := m.compareIDs[i]
			m.mu.Unlock()
			if id != "" {
				r.check("compare with the previous version", r.ctrl.ComparePrevious(id))
			}
		})
	}
	r.onClick(ctx, m.moreModels, true, func(context.Context) { r.check("show viewer", r.ctrl.Show("")) })
	for i, it := range m.recentItems {
		r.onClick(ctx, it, false, func(context.Context) {
			m.mu.Lock()
			p := m.recentPaths[i]
			m.mu.Unlock()
			if p != "" {
				r.openPaths([]string{p})
			}
		})
	}
	r.onClick(ctx, m.clearRecent, true, func(context.Context) { r.ctrl.ClearRecent(); r.refresh() })
	r.onClick(ctx, m.open, true, r.chooseAndOpen)
	r.onClick(ctx, m.browser, true, func(context.Context) { r.check("show viewer", r.ctrl.Show("")) })
	r.onClick(ctx, m.startStop, false, func(context.Context) {
		if r.ctrl.State().Running {
			r.check("stop viewer", r.ctrl.StopViewer())
		} else {
			r.check("start viewer", r.ctrl.StartViewer())
		}
		r.refresh()
	})
	r.onClick(ctx, m.watch, false, func(context.Context) {
		r.ctrl.SetWatching(!r.ctrl.State().Watching)
		r.refresh()
	})
	r.onClick(ctx, m.autostart, false, func(context.Context) {
		r.check("start at login", r.ctrl.SetAutostart(!r.ctrl.State().Autostart))
		r.refresh()
	})
	r.onClick(ctx, m.about, true, func(ctx context.Context) {
		m.mu.Lock()
		v := m.version
		m.mu.Unlock()
		if err := r.opts.About(ctx, v); err != nil {
			r.log.Info("tray: no About box, opening the viewer instead", "err", err)
			r.check("show viewer", r.ctrl.Show(""))
		}
	})

	// Follow the app's state. The app closes the stream when it quits:
	// the tray then ends too, even if the ctx given to Run is not the
	// app's own.
	states := r.ctrl.Subscribe(ctx)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case _, ok := <-states:
				if !ok {
					if ctx.Err() == nil {
						r.log.Debug("tray: the app closed its state stream; ending the tray")
						r.stop()
					}
					return
				}
				r.refresh()
			case <-ctx.Done():
				return
			}
		}
	}()
}

// refresh shows the app's current state. The state is read with the menu
// lock held, so concurrent refreshes never apply an older state last.
func (r *runner) refresh() {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	r.m.applyLocked(r.ctrl.State())
}

// receivers is how many goroutines stay parked on each item's channel.
// systray drops a click when no goroutine is waiting on the channel at
// that instant; a receiver that just took a click may not have been
// scheduled again before the next one arrives on a busy machine (measured
// here: 3 of 200 rapid clicks lost with one receiver). With several, a
// click is lost only if all of them are still away.
const receivers = 4

// onClick serves clicks of it with fn. Goroutines stay parked on the
// item's channel and only count clicks; a worker runs fn once per click
// (or once per burst when coalesce is set, for dialogs).
func (r *runner) onClick(ctx context.Context, it *item, coalesce bool, fn func(context.Context)) {
	var pending atomic.Int64
	wake := make(chan struct{}, 1)
	ch := it.mi.ClickedCh
	r.wg.Add(receivers + 1)
	for range receivers {
		go func() {
			defer r.wg.Done()
			for {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
					pending.Add(1)
					select {
					case wake <- struct{}{}:
					default:
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer r.wg.Done()
		for {
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
			for n := pending.Swap(0); n > 0; n = pending.Swap(0) {
				if coalesce {
					n = 1
				}
				for ; n > 0; n-- {
					if ctx.Err() != nil {
						return
					}
					fn(ctx)
				}
			}
		}
	}()
}

// chooseAndOpen runs the file chooser and opens what was picked; without
// a chooser it opens the viewer's start page, which has a drop zone.
func (r *runner) chooseAndOpen(ctx context.Context) {
	paths, err := r.opts.ChooseFiles(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		r.log.Info("tray: no file chooser, opening the viewer's drop zone instead", "err", err)
		r.check("show viewer", r.ctrl.Show(""))
		return
	}
	if len(paths) > 0 {
		r.openPaths(paths)
	}
}

// openPaths opens paths and shows the first one.
func (r *runner) openPaths(paths []string) {
	ids, err := r.ctrl.Open(paths...)
	r.check("open", err)
	if len(ids) > 0 {
		r.check("show model", r.ctrl.Show(ids[0]))
	}
	r.refresh()
}

// check logs a failed action; the app's State shows lasting errors.
func (r *runner) check(action string, err error) {
	if err != nil {
		r.log.Error("tray: "+action+" failed", "err", err)
	}
}
