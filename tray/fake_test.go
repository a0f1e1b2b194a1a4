//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelpeek/modelpeek/server"
	"github.com/modelpeek/modelpeek/tray"
)

// Exit codes of the child.
const (
	exitOK     = 0
	exitFailed = 1
	exitNoTray = 3
)

const fakeVersion = "1.2.3-test"

// childMain runs tray.Run with a fake controller and returns the exit
// code. Every controller call is printed as "CALL <method> <args>".
func childMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := newFake(cancel)
	// SIGUSR1 makes the app change by itself (the viewer fails), so tests
	// can check that the menu follows Subscribe.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			f.update(func(st *tray.State) {
				st.Running, st.URL, st.Err = false, "", "port 8080 is in use"
				st.Models = append(st.Models, server.ModelInfo{ID: "bad", Name: "broken.onnx", Path: "/data/broken.onnx", Error: "truncated file"})
			})
			fmt.Println("CHANGED")
		}
	}()
	fmt.Println("START")
	err := tray.Run(ctx, f, tray.Options{HostLost: func() { fmt.Println("HOSTLOST") }})
	switch {
	case errors.Is(err, tray.ErrNoTray):
		fmt.Println("NOTRAY", err)
		return exitNoTray
	case err != nil:
		fmt.Println("ERROR", err)
		return exitFailed
	}
	fmt.Println("RETURNED", time.Now().UnixNano())
	return exitOK
}

// fake is an Controller that records calls and keeps a plausible
// State: Start/Stop toggle Running, Open adds models, and so on.
type fake struct {
	quit context.CancelFunc

	mu     sync.Mutex
	closed bool // the state streams were closed by Quit
	st     tray.State
	next   int
	subs   map[chan tray.State]bool
}

func newFake(quit context.CancelFunc) *fake {
	f := &fake{quit: quit, subs: make(map[chan tray.State]bool)}
	f.st = tray.State{
		Running: true,
		URL:     "http://127.0.0.1:45678/?token=secret",
		Version: fakeVersion,
		Recent:  []string{"/data/a.onnx", "/data/b.gguf"},
	}
	for _, p := range []string{"/data/a.onnx", "/data/b.gguf"} {
		f.addLocked(p)
	}
	// TRAYTEST_PREVIOUS gives the first model a previous version.
	if os.Getenv("TRAYTEST_PREVIOUS") != "" {
		f.st.Models[0].Version, f.st.Models[0].Previous = 2, 1
	}
	// TRAYTEST_EXTRA_MODEL adds one more open and recent model, for tests
	// of how file names show in the menu.
	if p := os.Getenv("TRAYTEST_EXTRA_MODEL"); p != "" {
		f.addLocked(p)
		f.st.Recent = append([]string{p}, f.st.Recent...)
	}
	return f
}

func call(method string, args ...string) {
	fmt.Println(strings.TrimSpace("CALL " + method + " " + strings.Join(args, " ")))
}

func (f *fake) addLocked(p string) string {
	f.next++
	id := fmt.Sprintf("m%d", f.next)
	f.st.Models = append(f.st.Models, server.ModelInfo{ID: id, Name: filepath.Base(p), Path: p, Version: 1})
	return id
}

// update changes the state and notifies subscribers (coalesced: each
// subscriber channel holds only the newest state).
func (f *fake) update(change func(st *tray.State)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.st)
	st := f.snapshotLocked()
	for ch := range f.subs {
		select {
		case <-ch:
		default:
		}
		ch <- st
	}
}

func (f *fake) snapshotLocked() tray.State {
	st := f.st
	st.Models = append([]server.ModelInfo(nil), f.st.Models...)
	st.Recent = append([]string(nil), f.st.Recent...)
	return st
}

func (f *fake) StartViewer() error {
	call("StartViewer")
	f.update(func(st *tray.State) { st.Running, st.URL = true, "http://127.0.0.1:45678/?token=secret" })
	return nil
}

func (f *fake) StopViewer() error {
	call("StopViewer")
	f.update(func(st *tray.State) { st.Running, st.URL = false, "" })
	return nil
}

func (f *fake) Open(paths ...string) ([]string, error) {
	call("Open", paths...)
	var ids []string
	f.update(func(st *tray.State) {
		for _, p := range paths {
			ids = append(ids, f.addLocked(p))
			st.Recent = append([]string{p}, st.Recent...)
		}
	})
	return ids, nil
}

func (f *fake) Show(id string) error {
	if id == "" {
		call("Show", `""`)
	} else {
		call("Show", id)
	}
	return nil
}

func (f *fake) ComparePrevious(id string) error {
	call("ComparePrevious", id)
	return nil
}

func (f *fake) SetWatching(on bool) {
	call("SetWatching", fmt.Sprint(on))
	f.update(func(st *tray.State) { st.Watching = on })
}

func (f *fake) SetAutostart(on bool) error {
	call("SetAutostart", fmt.Sprint(on))
	f.update(func(st *tray.State) { st.Autostart = on })
	return nil
}

func (f *fake) ClearRecent() {
	call("ClearRecent")
	f.update(func(st *tray.State) { st.Recent = nil })
}

func (f *fake) Quit() {
	fmt.Println("QUITAT", time.Now().UnixNano())
	call("Quit")
	if os.Getenv("TRAYTEST_QUIT_CLOSES_STREAM") != "" {
		// Like an app whose context is not the one given to tray.Run: it
		// only closes its state streams.
		f.mu.Lock()
		for ch := range f.subs {
			delete(f.subs, ch)
			close(ch)
		}
		f.closed = true
		f.mu.Unlock()
		return
	}
	f.quit()
}

func (f *fake) State() tray.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshotLocked()
}

func (f *fake) Subscribe(ctx context.Context) <-chan tray.State {
	ch := make(chan tray.State, 1)
	f.mu.Lock()
	f.subs[ch] = true
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		if !f.closed {
			delete(f.subs, ch)
			close(ch)
		}
		f.mu.Unlock()
	}()
	return ch
}
