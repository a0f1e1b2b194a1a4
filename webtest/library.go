package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/server"
)

// Library is an in-memory server.Library for browser tests: models are
// added from memory (generated graphs) or opened from files with the
// format registry, and can be replaced to simulate a live reload.
type Library struct {
	reg *model.Registry

	mu      sync.Mutex
	next    int
	order   []string
	entries map[string]*entry
	watch   bool
}

type entry struct {
	info server.ModelInfo
	m    *model.Model
}

// NewLibrary returns an empty Library whose files and uploads are decoded
// by every format modelpeek reads (model/all) and the test-only JSON format
// (see TestFormat).
func NewLibrary() *Library {
	reg := all.Registry()
	reg.Register(TestFormat())
	return &Library{reg: reg, entries: map[string]*entry{}, watch: true}
}

// Add adds a decoded model under a display name and returns its ID.
func (l *Library) Add(name string, m *model.Model) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addLocked(name, "", m, "")
}

func (l *Library) addLocked(name, path string, m *model.Model, errText string) string {
	l.next++
	id := "m" + strconv.Itoa(l.next)
	info := server.ModelInfo{ID: id, Name: name, Path: path, Watching: true, Error: errText}
	if m != nil {
		info.Format = m.Format
		info.Version = 1
	}
	l.entries[id] = &entry{info: info, m: m}
	l.order = append(l.order, id)
	return id
}

// OpenFile opens a model file with the registry and adds it; a file that
// does not decode is added with its error, as the app does.
func (l *Library) OpenFile(ctx context.Context, path string) string {
	m, err := l.reg.Open(ctx, path)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		return l.addLocked(filepath.Base(path), path, nil, err.Error())
	}
	return l.addLocked(filepath.Base(path), path, m, "")
}

// Replace installs a new version of a model and returns the version.
func (l *Library) Replace(id string, m *model.Model) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[id]
	if e == nil {
		return 0, server.ErrNotFound
	}
	e.m = m
	e.info.Version++
	e.info.Error = ""
	return e.info.Version, nil
}

// Fail records a failed reload: the last good model stays.
func (l *Library) Fail(id, msg string) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[id]
	if e == nil {
		return 0, server.ErrNotFound
	}
	e.info.Error = msg
	return e.info.Version, nil
}

// List implements server.Library.
func (l *Library) List() []server.ModelInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]server.ModelInfo, 0, len(l.order))
	for _, id := range l.order {
		out = append(out, l.entries[id].info)
	}
	return out
}

// Get implements server.Library.
func (l *Library) Get(ctx context.Context, id string) (server.ModelInfo, *model.Model, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[id]
	if e == nil {
		return server.ModelInfo{}, nil, server.ErrNotFound
	}
	return e.info, e.m, nil
}

// Close implements server.Library.
func (l *Library) Close(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries[id] == nil {
		return server.ErrNotFound
	}
	delete(l.entries, id)
	for i, x := range l.order {
		if x == id {
			l.order = append(l.order[:i], l.order[i+1:]...)
			break
		}
	}
	return nil
}

// SetModelWatching implements server.Library.
func (l *Library) SetModelWatching(id string, on bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[id]
	if e == nil {
		return server.ErrNotFound
	}
	e.info.Watching = on
	return nil
}

// SetWatching implements server.Library.
func (l *Library) SetWatching(on bool) {
	l.mu.Lock()
	l.watch = on
	l.mu.Unlock()
}

// AddUploads implements server.Library: each file is decoded right away.
func (l *Library) AddUploads(files []server.Upload) ([]string, error) {
	var ids []string
	for _, f := range files {
		m, err := l.reg.Open(context.Background(), f.Path)
		l.mu.Lock()
		if err != nil {
			// Name the file as the user knows it, not by its upload name.
			msg := strings.ReplaceAll(err.Error(), filepath.Base(f.Path), f.Name)
			ids = append(ids, l.addLocked(f.Name, f.Path, nil, msg))
		} else {
			ids = append(ids, l.addLocked(f.Name, f.Path, m, ""))
		}
		l.mu.Unlock()
	}
	return ids, nil
}

// testMagic starts every file of the test-only JSON model format.
const testMagic = `{"modelpeek-test-model":`

// TestFormat is a test-only model format: a JSON document
// {"modelpeek-test-model": <model.Model JSON>}. It lets browser tests drop
// a file that decodes without depending on a binary format's decoder.
func TestFormat() model.Format {
	return model.Format{
		Name:       "test-json",
		Extensions: []string{".mptest"},
		Detect: func(head []byte, size int64) model.Confidence {
			if bytes.HasPrefix(head, []byte(testMagic)) {
				return model.Strong
			}
			return model.No
		},
		Open: func(ctx context.Context, path string) (*model.Model, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			var doc struct {
				Model *model.Model `json:"modelpeek-test-model"`
			}
			if err := json.NewDecoder(io.LimitReader(f, 64<<20)).Decode(&doc); err != nil {
				return nil, fmt.Errorf("not a valid test model: %w", err)
			}
			if doc.Model == nil || doc.Model.Graph == nil {
				return nil, fmt.Errorf("test model has no graph")
			}
			doc.Model.Format = "test-json"
			return doc.Model, nil
		},
	}
}

// EncodeTestModel writes m in the test-only JSON format.
func EncodeTestModel(m *model.Model) ([]byte, error) {
	b, err := json.Marshal(map[string]*model.Model{"modelpeek-test-model": m})
	if err != nil {
		return nil, fmt.Errorf("encode test model: %w", err)
	}
	return b, nil
}
