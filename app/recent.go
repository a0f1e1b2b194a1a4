package app

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
)

// maxRecent is the length of the recent-files list.
const maxRecent = 10

type recentFile struct {
	Recent []string `json:"recent"`
}

func loadRecent(fn string, log *slog.Logger) []string {
	b, err := os.ReadFile(fn)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("cannot read recent files", "file", fn, "err", err)
		}
		return nil
	}
	var rf recentFile
	if err := json.Unmarshal(b, &rf); err != nil {
		log.Warn("ignoring a damaged recent-files list", "file", fn, "err", err)
		return nil
	}
	if len(rf.Recent) > maxRecent {
		rf.Recent = rf.Recent[:maxRecent]
	}
	return rf.Recent
}

// saveRecent writes the list atomically (temporary file, then rename).
func saveRecent(fn string, list []string) error {
	if err := os.MkdirAll(filepath.Dir(fn), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(recentFile{Recent: list}, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(fn), ".recent-*.json")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), fn)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// addRecentLocked puts path first in the list and saves it.
func (a *App) addRecentLocked(path string) {
	a.recent = slices.DeleteFunc(a.recent, func(p string) bool { return p == path })
	a.recent = slices.Insert(a.recent, 0, path)
	if len(a.recent) > maxRecent {
		a.recent = a.recent[:maxRecent]
	}
	a.saveRecentLocked()
}

func (a *App) saveRecentLocked() {
	if a.recentFn == "" {
		return
	}
	if err := saveRecent(a.recentFn, a.recent); err != nil {
		a.log.Warn("cannot save recent files", "err", err)
	}
}

// ClearRecent empties the recent-files list.
func (a *App) ClearRecent() {
	a.mu.Lock()
	a.recent = nil
	a.saveRecentLocked()
	a.notifyLocked()
	a.mu.Unlock()
}
