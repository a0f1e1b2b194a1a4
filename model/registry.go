package model

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

// SniffLen is how many leading bytes of a file Detect functions receive.
const SniffLen = 4096

// Confidence is how sure a Detect function is that a file is its format.
type Confidence int

// Confidence levels. Detection by content beats detection by name: a Strong
// match (magic bytes) wins over a Plausible one (structure looks right), and
// the extension only breaks ties and rescues files no format recognises.
const (
	No        Confidence = 0
	Plausible Confidence = 1
	Strong    Confidence = 2
)

// Format is one decoder in a Registry.
type Format struct {
	// Name is the registry name, also Model.Format ("onnx").
	Name string
	// Extensions are lower-case file name suffixes with the dot (".onnx").
	Extensions []string
	// Detect looks at the first bytes of a file (up to SniffLen; fewer for
	// short files) and its size.
	Detect func(head []byte, size int64) Confidence
	// DetectDir, when set, recognises a model stored as a directory (a
	// SavedModel folder, a Core ML .mlpackage or .mlmodelc); dir is
	// absolute. Open then receives the directory's path.
	DetectDir func(dir string) Confidence
	// DetectFile, when set, is asked when Detect declines, with the file's
	// path: for files recognised by their neighbours (a Hugging Face
	// config.json beside the weights it describes).
	DetectFile func(path string, head []byte, size int64) Confidence
	// Open decodes the file at path (absolute). It must honour ctx for long
	// work, bound every allocation by the file size, and never execute
	// anything the file contains.
	Open func(ctx context.Context, path string) (*Model, error)
}

// ErrUnknownFormat is returned by Open when no registered format recognises
// a file.
var ErrUnknownFormat = errors.New("not a model file I know")

// Registry holds the known formats. The zero value is empty and ready; it
// is not safe for concurrent Register calls, but Open may run concurrently.
type Registry struct {
	formats []Format
}

// Register adds a format.
func (r *Registry) Register(f Format) { r.formats = append(r.formats, f) }

// Extensions returns every file extension the registered formats claim,
// sorted and without repeats.
func (r *Registry) Extensions() []string {
	var exts []string
	for _, f := range r.formats {
		exts = append(exts, f.Extensions...)
	}
	slices.Sort(exts)
	return slices.Compact(exts)
}

// Formats returns the registered formats in registration order.
func (r *Registry) Formats() []Format { return append([]Format(nil), r.formats...) }

// Detect returns the format a file (or a model directory) most likely is,
// without decoding it. Its errors name path once: a *FileError when the
// file cannot be read, "PATH: " and an *UnknownFormatError when no format
// recognises it.
func (r *Registry) Detect(path string) (Format, error) {
	f, err := r.detect(path)
	var fe *FileError
	if err != nil && !errors.As(err, &fe) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return f, err
}

// detect is Detect with errors that do not name the file, except a
// *FileError.
func (r *Registry) detect(path string) (Format, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return r.pickDir(path)
	}
	head, size, err := ReadHead(path)
	if err != nil {
		return Format{}, err
	}
	return r.pick(head, size, path)
}

// ReadHead returns the first SniffLen bytes of the regular file at path
// (fewer for a shorter file) and its size: what Detect functions look at.
// Errors are *FileError values that name path once.
func ReadHead(path string) (head []byte, size int64, err error) {
	f, size, err := OpenFile(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	head = make([]byte, min(size, SniffLen))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, 0, fileError(path, err)
	}
	return head[:n], size, nil
}

// OpenFile opens the file at path for a decoder and returns it with its
// size; directories, devices and pipes are refused. The caller closes f.
// Errors are *FileError values that name path once: decoders return them
// as they are, without adding the path again.
func OpenFile(path string) (f *os.File, size int64, err error) {
	// Look before opening: opening a FIFO or some devices blocks until a
	// writer comes, which may be never.
	st, err := os.Stat(path)
	if err == nil {
		err = regular(path, st)
	} else {
		err = fileError(path, err)
	}
	if err != nil {
		return nil, 0, err
	}
	f, err = os.Open(path)
	if err != nil {
		return nil, 0, fileError(path, err)
	}
	// Check the opened file too: the path may have changed in between.
	if st, err = f.Stat(); err != nil {
		err = fileError(path, err)
	} else {
		err = regular(path, st)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// regular refuses what is not a regular file, naming path.
func regular(path string, st os.FileInfo) error {
	switch {
	case st.IsDir():
		return &FileError{Path: path, Err: errors.New("is a directory, not a model file")}
	case !st.Mode().IsRegular():
		return &FileError{Path: path, Err: errors.New("is not a regular file")}
	}
	return nil
}

// FileError is a file that cannot be opened or read. Its text names the
// path once ("PATH: no such file"), whatever the layers below said.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + fileReason(e.Err) }

// Unwrap returns the cause, so errors.Is(err, fs.ErrNotExist) still holds.
func (e *FileError) Unwrap() error { return e.Err }

// fileError wraps an error of the os package about path as a *FileError.
func fileError(path string, err error) error {
	return &FileError{Path: path, Err: err}
}

// fileReason says why a file cannot be used, in words, without the path
// and operation an *fs.PathError adds.
func fileReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// asGivenPath returns err with a *FileError about abs renamed to path,
// the spelling the user gave; other errors are returned as they are.
func asGivenPath(err error, abs, path string) error {
	var fe *FileError
	if errors.As(err, &fe) && fe.Path == abs && err == error(fe) {
		return &FileError{Path: path, Err: fe.Err}
	}
	return err
}

func (r *Registry) pick(head []byte, size int64, path string) (Format, error) {
	name := strings.ToLower(filepath.Base(path))
	best, bestConf, bestExt := -1, No, false
	for i, f := range r.formats {
		c := No
		if f.Detect != nil {
			c = f.Detect(head, size)
		}
		if c == No && f.DetectFile != nil {
			c = f.DetectFile(path, head, size)
		}
		ext := hasExt(name, f.Extensions)
		if c == No {
			continue
		}
		if c > bestConf || (c == bestConf && ext && !bestExt) {
			best, bestConf, bestExt = i, c, ext
		}
	}
	if best >= 0 {
		return r.formats[best], nil
	}
	return Format{}, r.unknownFile(name, head, size)
}

// pickDir asks every format that reads directories about dir; the most
// confident wins, the first registered on a tie.
func (r *Registry) pickDir(dir string) (Format, error) {
	best, bestConf := -1, No
	for i, f := range r.formats {
		if f.DetectDir == nil {
			continue
		}
		if c := f.DetectDir(dir); c > bestConf {
			best, bestConf = i, c
		}
	}
	if best < 0 {
		return Format{}, r.unknownDir(dir)
	}
	return r.formats[best], nil
}

func hasExt(name string, exts []string) bool {
	for _, e := range exts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// Open detects the format of the file at path and decodes it. A panic in a
// decoder becomes an error for this file only. A file that cannot be read
// gives a *FileError naming path as given; other errors start with the
// file's base name.
func (r *Registry) Open(ctx context.Context, path string) (m *Model, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer func() {
		if p := recover(); p != nil {
			m = nil
			err = fmt.Errorf("%s: format detection failed on this file (internal error: %v)\n%s", filepath.Base(abs), p, debug.Stack())
		}
	}()
	f, err := r.detect(abs)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, asGivenPath(err, abs, path)
		}
		return nil, fmt.Errorf("%s: %w", filepath.Base(abs), err)
	}
	defer func() {
		if p := recover(); p != nil {
			m = nil
			err = fmt.Errorf("%s: %s decoder failed on this file (internal error: %v)\n%s", filepath.Base(abs), f.Name, p, debug.Stack())
		}
	}()
	m, err = f.Open(ctx, abs)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) && err == error(fe) {
			// The file went away or became unreadable after detection:
			// the error already names it.
			return nil, asGivenPath(err, abs, path)
		}
		return nil, fmt.Errorf("%s: %w", filepath.Base(abs), err)
	}
	if m == nil {
		return nil, fmt.Errorf("%s: the %s decoder returned no model (internal error)", filepath.Base(abs), f.Name)
	}
	if m.Format == "" {
		m.Format = f.Name
	}
	if len(m.Files) == 0 {
		m.Files = []string{abs}
	}
	return m, nil
}
