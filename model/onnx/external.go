package onnx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// externalRef is a tensor's external_data entries.
type externalRef struct {
	location       string
	offset, length int64
	hasLength      bool
	problem        string // a bad offset or length, reported as a warning
}

// set records one external_data key/value.
func (e *externalRef) set(k, v string) {
	switch k {
	case "location":
		e.location = v
	case "offset", "length":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			e.problem = fmt.Sprintf("external data %s %q is not a valid number", k, v)
			return
		}
		if k == "offset" {
			e.offset = n
		} else {
			e.length, e.hasLength = n, true
		}
	}
}

// externals caches the external data files of one model, opened through
// an os.Root of the model's folder so that no location can reach outside.
type externals struct {
	root    *os.Root
	rootErr error
	files   map[string]externalFile
	order   []string // absolute paths of existing files, first use first
}

type externalFile struct {
	abs     string
	size    int64
	problem string // why the file cannot be used, or ""
}

func (d *decoder) closeExternals() {
	if d.ext != nil && d.ext.root != nil {
		d.ext.root.Close()
	}
}

// externalFiles lists the external data files that exist.
func (d *decoder) externalFiles() []string {
	if d.ext == nil {
		return nil
	}
	return d.ext.order
}

// lookup stats an external data file once.
func (d *decoder) lookup(loc string) externalFile {
	if d.ext == nil {
		d.ext = &externals{files: map[string]externalFile{}}
		d.ext.root, d.ext.rootErr = os.OpenRoot(filepath.Dir(d.path))
	}
	if f, ok := d.ext.files[loc]; ok {
		return f
	}
	f := d.statExternal(loc)
	d.ext.files[loc] = f
	if f.problem == "" && !slices.Contains(d.ext.order, f.abs) {
		d.ext.order = append(d.ext.order, f.abs)
	}
	return f
}

func (d *decoder) statExternal(loc string) externalFile {
	rel := filepath.FromSlash(loc)
	f := externalFile{abs: filepath.Join(filepath.Dir(d.path), rel)}
	switch {
	case loc == "":
		f.problem = "names no file"
		return f
	case !filepath.IsLocal(rel):
		f.problem = "is outside the model's folder, so it was not read"
		return f
	case d.ext.rootErr != nil:
		f.problem = "cannot be opened: " + d.ext.rootErr.Error()
		return f
	}
	st, err := d.ext.root.Stat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.problem = "is missing"
	case err != nil:
		f.problem = "cannot be opened (it may point outside the model's folder): " + err.Error()
	case !st.Mode().IsRegular():
		f.problem = "is not a regular file"
	default:
		f.size = st.Size()
	}
	return f
}

// externalLocation resolves a tensor's external data. Problems become
// warnings and a Location marked Missing, never errors.
func (d *decoder) externalLocation(t *model.Tensor, ext externalRef) *model.Location {
	f := d.lookup(ext.location)
	loc := &model.Location{File: f.abs, Offset: ext.offset, Length: ext.length, Encoding: model.EncRaw}
	if ext.problem != "" {
		d.warn("tensor %q: %s; its weights cannot be shown", t.Name, ext.problem)
		loc.Missing = true
		return loc
	}
	if f.problem != "" {
		d.warn("external data file %q %s; weights stored there cannot be shown", ext.location, f.problem)
		loc.Missing = true
		return loc
	}
	if ext.offset > f.size {
		d.warn("tensor %q: external data offset %d is past the end of %q (%d bytes)", t.Name, ext.offset, ext.location, f.size)
		loc.Missing = true
		return loc
	}
	if !ext.hasLength {
		loc.Length = f.size - ext.offset
	}
	if loc.Length > f.size-ext.offset {
		d.warn("tensor %q: external data (%d bytes at offset %d) runs past the end of %q (%d bytes)", t.Name, loc.Length, ext.offset, ext.location, f.size)
		loc.Missing = true
	}
	return loc
}
