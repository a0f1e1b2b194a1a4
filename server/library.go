package server

import (
	"context"
	"errors"

	"github.com/modelpeek/modelpeek/model"
)

// ErrNotFound is returned by a Library for an unknown model ID.
var ErrNotFound = errors.New("no such model")

// ModelInfo describes one open model in the API (GET /api/models).
type ModelInfo struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Path   string `json:"path"`
	Format string `json:"format"`
	// Version counts successful loads; 0 while the first load runs or
	// after it failed.
	Version int `json:"version"`
	// Error is the last load error in words, "" when the last load worked.
	Error string `json:"error"`
	// Watching reports whether the file is watched for changes.
	Watching bool `json:"watching"`
	// Loading is set while a (re)load is in progress.
	Loading bool `json:"loading"`
	// Previous is the number of the previous good version when the app
	// keeps it for comparison (Versions), else 0.
	Previous int `json:"previous,omitempty"`
}

// Upload is a file received by POST /api/upload, already on disk.
type Upload struct {
	// Path is where the bytes are (inside the upload directory).
	Path string
	// Name is the file name the browser gave, cleaned for display.
	Name string
}

// Library is what the HTTP API reads and changes: the app's open models.
// Every method must be safe for concurrent use and must not parse files on
// the caller's goroutine except while waiting, bounded by ctx, in Get.
type Library interface {
	// List returns the open models in opening order.
	List() []ModelInfo
	// Get returns a model's info and its last good decoded model (nil when
	// no load has succeeded). It waits, until ctx is done, for the first
	// load to finish. Unknown IDs give ErrNotFound.
	Get(ctx context.Context, id string) (ModelInfo, *model.Model, error)
	// Close removes a model from the library (the tab was closed).
	Close(id string) error
	// SetModelWatching turns watching of one model on or off.
	SetModelWatching(id string, on bool) error
	// SetWatching turns the global watch switch on or off.
	SetWatching(on bool)
	// AddUploads adds uploaded files and returns their model IDs. The
	// library owns the files from then on.
	AddUploads(files []Upload) ([]string, error)
}
