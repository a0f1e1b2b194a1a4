package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// group is the set of files watched under one key.
type group struct {
	key   string
	files []*file // files[0] is the main file

	// pending is set while a change waits for the quiet period.
	pending bool
	// firstChange and lastChange are when the first and the last change of
	// the pending burst were seen.
	firstChange, lastChange time.Time
}

// quiet returns how long g must be quiet before it is reported: the
// debounce, or an eighth of how long the burst has lasted, up to
// maxQuiet, so a long export that pauses between chunks is not reported
// half-written.
func (g *group) quiet(debounce time.Duration) time.Duration {
	q := g.lastChange.Sub(g.firstChange) / 8
	if q > maxQuiet {
		q = maxQuiet
	}
	if q < debounce {
		q = debounce
	}
	return q
}

// file is one watched file.
type file struct {
	group *group
	given string // as passed to Add, reported in Event.Files
	path  string // cleaned absolute path
	// target is the fully resolved path when path is (or goes through) a
	// symbolic link that resolves, else path.
	target string

	// last is the most recent observation (at the last event, poll or
	// check); reported is the observation at the last Event sent.
	last, reported snapshot

	// dirty is set when the file changed since the last Event; content is
	// set when the change was more than a chmod.
	dirty, content bool
}

// resolve recomputes f.target from the file system.
func (f *file) resolve() {
	t, err := filepath.EvalSymlinks(f.path)
	if err != nil {
		f.target = f.path
		return
	}
	f.target = filepath.Clean(t)
}

// paths returns the paths under which events for f arrive.
func (f *file) paths() []string {
	if f.target != f.path {
		return []string{f.path, f.target}
	}
	return []string{f.path}
}

// snapshot is what is known about a file at one instant. Two equal
// snapshots mean the file did not change in between (as far as the file
// system can tell).
type snapshot struct {
	exists bool
	size   int64
	mtime  time.Time
	mode   fs.FileMode
	info   fs.FileInfo // for os.SameFile (identity: device and inode)
	change int64       // status change time where the OS has one, else 0
}

// statFile observes path, following symbolic links.
func statFile(path string) snapshot {
	fi, err := os.Stat(path)
	if err != nil {
		return snapshot{}
	}
	return snapshot{
		exists: true,
		size:   fi.Size(),
		mtime:  fi.ModTime(),
		mode:   fi.Mode(),
		info:   fi,
		change: changeTime(fi),
	}
}

// same reports whether two snapshots describe the same unchanged file.
func (s snapshot) same(o snapshot) bool {
	if s.exists != o.exists {
		return false
	}
	if !s.exists {
		return true
	}
	return s.size == o.size && s.mtime.Equal(o.mtime) && s.mode == o.mode &&
		s.change == o.change && os.SameFile(s.info, o.info)
}

// dirWatch is one directory the OS watches for us.
type dirWatch struct {
	added bool   // the OS watch is in place
	err   string // text of the last setup error reported, to report once
}

// indexLocked records f's paths in byPath.
func (w *Watcher) indexLocked(f *file) {
	for _, p := range f.paths() {
		w.byPath[p] = append(w.byPath[p], f)
	}
}

// unindexLocked removes f's paths from byPath.
func (w *Watcher) unindexLocked(f *file) {
	for _, p := range f.paths() {
		list := w.byPath[p]
		for i, x := range list {
			if x == f {
				list = slices.Delete(list, i, i+1) // clears the freed slot
				break
			}
		}
		if len(list) == 0 {
			delete(w.byPath, p)
		} else {
			w.byPath[p] = list
		}
	}
}

// dropGroupLocked forgets every file of g.
func (w *Watcher) dropGroupLocked(g *group) {
	for _, f := range g.files {
		w.unindexLocked(f)
	}
	g.pending = false
}

// reresolveLocked re-reads f's symbolic link and updates the index and the
// watched directories when the target moved. It reports whether the
// target changed.
func (w *Watcher) reresolveLocked(f *file) bool {
	old := f.target
	w.unindexLocked(f)
	f.resolve()
	w.indexLocked(f)
	if f.target == old {
		return false
	}
	if err := w.syncDirsLocked(); err != nil {
		w.report(err)
	}
	return true
}

// syncDirsLocked makes the OS watch exactly the directories the watched
// files need: adds missing watches, removes unneeded ones. A directory
// that does not exist is not an error (it is retried); other failures are
// reported once per distinct error and returned.
func (w *Watcher) syncDirsLocked() error {
	want := make(map[string]bool)
	for p := range w.byPath {
		want[filepath.Dir(p)] = true
	}
	for d, dw := range w.dirs {
		if want[d] {
			continue
		}
		if dw.added && w.fsw != nil {
			// The directory may be gone already; nothing to do then.
			_ = w.fsw.Remove(d)
		}
		delete(w.dirs, d)
	}
	var errs []error
	for d := range want {
		dw, ok := w.dirs[d]
		if !ok {
			dw = &dirWatch{}
			w.dirs[d] = dw
		}
		if dw.added || w.fsw == nil {
			continue
		}
		err := w.fsw.Add(d)
		if err == nil {
			dw.added = true
			dw.err = ""
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		err = fmt.Errorf("watch: cannot watch directory %s: %w", d, describe(err))
		if dw.err != err.Error() {
			dw.err = err.Error()
			w.report(err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// missingDirsLocked reports whether a wanted directory has no OS watch
// yet (it does not exist, or setting it up failed), so a retry is due.
func (w *Watcher) missingDirsLocked() bool {
	if w.fsw == nil {
		return false
	}
	for _, dw := range w.dirs {
		if !dw.added {
			return true
		}
	}
	return false
}

// retryDirsLocked tries again to watch the directories whose watch is not
// in place, and marks the files in a directory that became watchable as
// changed (they may have appeared while nobody was looking).
func (w *Watcher) retryDirsLocked(now time.Time) {
	if w.fsw == nil {
		return
	}
	var missing []string
	for d, dw := range w.dirs {
		if !dw.added {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return
	}
	if err := w.syncDirsLocked(); err != nil {
		w.log.Debug("watch: retrying directory watches", "err", err)
	}
	for _, d := range missing {
		if !w.dirs[d].added {
			continue
		}
		for p, files := range w.byPath {
			if filepath.Dir(p) != d {
				continue
			}
			for _, f := range files {
				f.last = statFile(f.path)
				if !f.last.same(f.reported) {
					w.markLocked(f, true, now)
				}
			}
		}
	}
}

// markLocked records a change of f seen at now.
func (w *Watcher) markLocked(f *file, content bool, now time.Time) {
	f.dirty = true
	if content {
		f.content = true
	}
	g := f.group
	if !g.pending {
		g.firstChange = now
	}
	g.pending = true
	g.lastChange = now
}
