package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelpeek/modelpeek/assets"
	"github.com/modelpeek/modelpeek/internal/hugepages"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

// entry is one open model.
type entry struct {
	id       string
	name     string
	path     string
	uploaded bool // the file lives in the upload directory
	sample   bool // the bundled sample: its path is a temporary file
	format   string
	version  int
	err      string
	watching bool
	loading  bool
	model    *model.Model
	files    []string
	ready    chan struct{} // closed when the first load attempt ended
	gen      int           // load generation; stale results are dropped
	changes  []string      // changed files behind the pending reload
	removed  bool
	vers     versions // kept copies of this and the previous version (previous.go)
}

// parseTimeout bounds one parse: a decoder stuck on a hostile file is
// abandoned (its result dropped) and the model shows an error instead.
const parseTimeout = 2 * time.Minute

// newID returns a random, unguessable 128-bit model ID.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand contract)
	return hex.EncodeToString(b)
}

// samplePath is the file the bundled sample is shown as, instead of the
// temporary copy it is read from.
const samplePath = "built-in sample"

// shownPath is the file of e as the page and the tray show it.
func (e *entry) shownPath() string {
	if e.sample {
		return samplePath
	}
	return e.path
}

func (e *entry) info() server.ModelInfo {
	return server.ModelInfo{
		ID: e.id, Name: e.name, Path: e.shownPath(), Format: e.format, Version: e.version,
		Error: e.err, Watching: e.watching, Loading: e.loading, Previous: e.vers.prevVersion,
	}
}

// Open opens model files into the library, records them in Recent, and
// returns their IDs. Parsing happens in the background; a file that fails
// to parse stays in the library with its error. A path already open
// returns its existing ID.
func (a *App) Open(paths ...string) ([]string, error) {
	var ids []string
	var errs []error
	a.mu.Lock()
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("open %s: %w", p, err))
			continue
		}
		if e := a.findPathLocked(abs); e != nil {
			ids = append(ids, e.id)
			continue
		}
		if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
			a.addRecentLocked(abs)
		}
		e := a.addLocked(abs, filepath.Base(abs), false)
		ids = append(ids, e.id)
	}
	a.notifyLocked()
	a.mu.Unlock()
	a.publishModels()
	return ids, errors.Join(errs...)
}

func (a *App) findPathLocked(path string) *entry {
	for _, e := range a.models {
		if !e.uploaded && e.path == path {
			return e
		}
	}
	return nil
}

// addLocked adds an entry and starts its first load.
func (a *App) addLocked(path, name string, uploaded bool) *entry {
	e := &entry{
		id:       newID(),
		name:     name,
		path:     path,
		uploaded: uploaded,
		watching: !uploaded,
		ready:    make(chan struct{}),
	}
	a.models = append(a.models, e)
	a.byID[e.id] = e
	a.loadLocked(e, nil)
	return e
}

// loadLocked starts (re)loading e in the app's errgroup. A parser that
// ignores cancellation cannot hold up Quit: the errgroup goroutine stops
// waiting for it when the app's context is done.
func (a *App) loadLocked(e *entry, changes []string) {
	e.gen++
	e.loading = true
	e.changes = append(e.changes, changes...)
	gen := e.gen
	path := e.path
	keep := e.watching && !e.uploaded
	started := a.goLocked(func() error {
		select {
		case a.parses <- struct{}{}:
		case <-a.ctx.Done():
			return nil
		}
		type result struct {
			m    *model.Model
			snap string
			err  error
		}
		done := make(chan result, 1)
		burst := a.opts.HugePages.BurstFor(path)
		go func() {
			defer func() { <-a.parses }()
			// The copy kept for comparison is made beside the read: made
			// after it, it held up the first view by 10-80 ms at 100,000
			// nodes and up to 0.4 s at 500,000 (a fresh page cache's
			// memory is slow to touch on a VM).
			copied := make(chan string, 1)
			go func() { copied <- a.copySnapshot(path, keep) }()
			t := time.Now()
			m, err := a.reg.OpenWithin(a.ctx, path, parseTimeout)
			a.log.Debug("model read", "path", path, "took", time.Since(t), "err", err)
			snap := <-copied
			if err != nil {
				dropSnapshot(snap)
				snap = ""
			}
			done <- result{m, keepSnapshot(snap, m), err}
		}()
		select {
		case r := <-done:
			a.finishLoad(e, gen, r.m, r.snap, r.err, burst)
		case <-a.ctx.Done():
			burst.End()
		}
		return nil
	})
	if !started {
		e.loading = false
	}
}

// finishLoad records a load's result (with snap, the copy of the file
// kept for comparison, or "") unless a newer load superseded it. The
// load's burst of allocation (huge pages) ends here, or with the warm-up
// of the model it loaded.
func (a *App) finishLoad(e *entry, gen int, m *model.Model, snap string, err error, burst *hugepages.Burst) {
	a.mu.Lock()
	if e.gen != gen || e.removed {
		a.mu.Unlock()
		burst.End()
		dropSnapshot(snap)
		return
	}
	reload := e.version > 0 || e.err != ""
	e.loading = false
	if err != nil {
		// Decoders name the file by its base name; an upload's is a random
		// temp name the user never saw.
		full := strings.Replace(err.Error(), filepath.Base(e.path), e.name, 1)
		msg, _, _ := strings.Cut(full, "\n")
		if msg != full {
			a.log.Error("model load failed", "path", e.path, "err", err)
		}
		e.err = msg
		if e.format == "" {
			if f, derr := a.reg.Detect(e.path); derr == nil {
				e.format = f.Name
			}
		}
	} else {
		e.model = m
		e.version++
		e.keepVersionLocked(snap)
		e.err = ""
		e.format = m.Format
		e.files = m.Files
	}
	select {
	case <-e.ready:
	default:
		close(e.ready)
	}
	changes := e.changes
	e.changes = nil
	ev := modelEvent{ID: e.id, Version: e.version, Error: e.err, Changes: orEmpty(changes)}
	a.notifyLocked()
	a.mu.Unlock()
	if err == nil {
		// The previous version's layouts hold its graph: drop them now,
		// not when a page next asks (there may be none all day). Then lay
		// out the new version, so that a page's request finds it ready.
		a.srv.DropLayouts(ev.ID, ev.Version)
		a.warm(ev.ID, ev.Version, m, burst)
	} else {
		burst.End()
	}
	if reload {
		a.srv.Hub().Publish("model", ev)
	}
	a.publishModels()
	// Last: the warm-up and the page need not wait for the watch.
	a.syncWatch(e)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// modelEvent is the data of the SSE "model" event.
type modelEvent struct {
	ID      string   `json:"id"`
	Version int      `json:"version"`
	Error   string   `json:"error"`
	Changes []string `json:"changes"`
}

// publishModels sends the SSE "models" event with the current list.
func (a *App) publishModels() {
	a.srv.Hub().Publish("models", (*library)(a).List())
}

// Reload loads a model's file again (as a file change would).
func (a *App) Reload(id string) error {
	a.mu.Lock()
	e := a.byID[id]
	if e == nil {
		a.mu.Unlock()
		return server.ErrNotFound
	}
	a.loadLocked(e, nil)
	a.mu.Unlock()
	a.publishModels()
	return nil
}

// OpenSample opens the sample model bundled in the web assets, if there
// is one, and returns its ID ("" when there is none).
func (a *App) OpenSample() (string, error) {
	b, err := fs.ReadFile(a.opts.Web, assets.SampleName)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("bundled sample: %w", err)
	}
	f, err := os.CreateTemp(a.upDir, "sample-*.onnx")
	if err != nil {
		return "", fmt.Errorf("bundled sample: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("bundled sample: %w", err)
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		os.Remove(f.Name())
		return "", errors.New("modelpeek is quitting")
	}
	e := a.addLocked(f.Name(), assets.SampleName, true)
	e.sample = true
	a.notifyLocked()
	a.mu.Unlock()
	a.publishModels()
	return e.id, nil
}
