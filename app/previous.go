package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

// maxSnapshot bounds the files whose last good version is kept: a copy of
// a watched single-file model up to this size is taken after every good
// load, so the next version can be compared with it.
const maxSnapshot = 256 << 20

// versions is what an entry keeps of its versions for comparison: files
// only. The previous version is decoded for each request and not kept, so
// a tray app at rest holds one graph per model.
type versions struct {
	snap        string // copy of the current version's file, "" when none
	prevSnap    string // copy of the previous good version's file
	prevVersion int    // its version number
}

// copySnapshot copies the file of a model being loaded (path) into the
// snapshot folder when it is a watched regular file of at most
// maxSnapshot bytes, and returns the copy's path ("" when none is made).
// A load runs it beside the read, off the way to the first view, and
// keepSnapshot then decides from the model. The copy keeps the file's
// base name: some decoders look at it.
func (a *App) copySnapshot(path string, watched bool) string {
	if !watched {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxSnapshot {
		return ""
	}
	// Each copy has a folder of its own in the private versions
	// directory (removed at exit, or by the next launch after a crash).
	dir, err := os.MkdirTemp(a.verDir, "v")
	if err != nil {
		a.log.Warn("cannot keep the model's version for comparison", "err", err)
		return ""
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if err := copyFile(dst, path); err != nil {
		os.RemoveAll(dir)
		a.log.Warn("cannot keep the model's version for comparison", "path", path, "err", err)
		return ""
	}
	return dst
}

// keepSnapshot returns snap, the copy of the file m was read from, when m
// is that one file; else it removes the copy and returns "": a model of
// several files is not compared with its previous version.
func keepSnapshot(snap string, m *model.Model) string {
	if snap != "" && (m == nil || len(m.Files) > 1) {
		dropSnapshot(snap)
		return ""
	}
	return snap
}

// copyFile copies src to a new file dst.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, io.LimitReader(in, maxSnapshot+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", filepath.Base(src), err)
	}
	return nil
}

// dropSnapshot removes a kept version's copy (and its folder).
func dropSnapshot(snap string) {
	if snap != "" {
		os.RemoveAll(filepath.Dir(snap))
	}
}

// keepVersionLocked records a good load of version (already counted in
// e.version) whose file was copied to snap: the last version's copy
// becomes the previous one. a.mu must be held.
func (e *entry) keepVersionLocked(snap string) {
	dropSnapshot(e.vers.prevSnap)
	e.vers.prevSnap, e.vers.prevVersion = e.vers.snap, e.version-1
	e.vers.snap = snap
	if e.vers.prevSnap == "" {
		e.vers.prevVersion = 0
	}
}

// dropVersionsLocked removes every kept copy of e. a.mu must be held.
func (e *entry) dropVersionsLocked() {
	dropSnapshot(e.vers.snap)
	dropSnapshot(e.vers.prevSnap)
	e.vers = versions{}
}

// Previous returns the previous good version of model id (for
// server.Versions): the kept copy of its file, decoded now.
func (l *library) Previous(ctx context.Context, id string) (server.ModelInfo, *model.Model, error) {
	a := (*App)(l)
	a.mu.Lock()
	e := a.byID[id]
	if e == nil {
		a.mu.Unlock()
		return server.ModelInfo{}, nil, server.ErrNotFound
	}
	info := e.info()
	snap := e.vers.prevSnap
	info.Version = e.vers.prevVersion
	a.mu.Unlock()
	if snap == "" {
		return info, nil, server.ErrNoPrevious
	}
	m, err := a.reg.OpenWithin(ctx, snap, parseTimeout)
	if err != nil {
		return info, nil, fmt.Errorf("the previous version: %w", err)
	}
	return info, m, nil
}

// ComparePrevious opens the viewer's compare view of model id's previous
// version with its current one (the tray's "Compare with previous
// version").
func (a *App) ComparePrevious(id string) error {
	a.mu.Lock()
	e := a.byID[id]
	ok := e != nil && e.vers.prevSnap != ""
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("no previous version of model %s is kept", id)
	}
	return a.ShowCompare(id, "previous")
}

// ShowCompare opens the viewer's compare view of model a (left) with
// model b (right; "previous" for a's previous version).
func (a *App) ShowCompare(ida, idb string) error {
	if !a.srv.Running() {
		if err := a.StartViewer(); err != nil {
			return err
		}
	}
	u := a.srv.URL()
	if u == "" {
		return errors.New("the viewer is not running")
	}
	u += "&model=" + url.QueryEscape(ida) + "&compare=" + url.QueryEscape(idb)
	if err := a.openURL(u); err != nil {
		return fmt.Errorf("cannot open the browser: %w", err)
	}
	return nil
}
