package model

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// without decoding it.
func (r *Registry) Detect(path string) (Format, error) {
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
func ReadHead(path string) (head []byte, size int64, err error) {
	f, size, err := OpenFile(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	head = make([]byte, min(size, SniffLen))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	return head[:n], size, nil
}

// OpenFile opens the file at path for a decoder and returns it with its
// size; directories, devices and pipes are refused. The caller closes f.
func OpenFile(path string) (f *os.File, size int64, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	switch {
	case err != nil:
	case st.IsDir():
		err = fmt.Errorf("%s is a directory, not a model file", path)
	case !st.Mode().IsRegular():
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

func (r *Registry) pick(head []byte, size int64, path string) (Format, error) {
	name := strings.ToLower(filepath.Base(path))
	best, bestConf, bestExt := -1, No, false
	for i, f := range r.formats {
		c := No
		if f.Detect != nil {
			c = f.Detect(head, size)
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
	return Format{}, ErrUnknownFormat
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
		return Format{}, fmt.Errorf("%s is a directory, not a model I know: %w", dir, ErrUnknownFormat)
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
// decoder becomes an error for this file only.
func (r *Registry) Open(ctx context.Context, path string) (m *Model, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() {
		if p := recover(); p != nil {
			m = nil
			err = fmt.Errorf("%s: format detection failed on this file (internal error: %v)\n%s", filepath.Base(abs), p, debug.Stack())
		}
	}()
	f, err := r.Detect(abs)
	if err != nil {
		if errors.Is(err, ErrUnknownFormat) {
			return nil, fmt.Errorf("%s: %w", filepath.Base(abs), err)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() {
		if p := recover(); p != nil {
			m = nil
			err = fmt.Errorf("%s: %s decoder failed on this file (internal error: %v)\n%s", filepath.Base(abs), f.Name, p, debug.Stack())
		}
	}()
	m, err = f.Open(ctx, abs)
	if err != nil {
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
