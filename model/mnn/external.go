package mnn

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/modelpeek/modelpeek/model"
)

// externalFile is the file an op's external weights live in: the op's
// externalPath (relative to the model's folder), else the model's path
// with ".weight" appended, as MNN's interpreter looks for it.
func (d *decoder) externalFile(opPath string) string {
	if opPath == "" {
		return d.path + ".weight"
	}
	if !filepath.IsAbs(opPath) {
		return filepath.Join(filepath.Dir(d.path), opPath)
	}
	return opPath
}

// externalSize stats an external weight file once; -1 when missing.
func (d *decoder) externalSize(file string) int64 {
	if size, ok := d.externals[file]; ok {
		return size
	}
	size := int64(-1)
	if st, err := os.Stat(file); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	} else {
		d.warn(fmt.Sprintf("weights are kept in %s, which is missing", filepath.Base(file)))
	}
	if d.externals == nil {
		d.externals = map[string]int64{}
	}
	d.externals[file] = size
	return size
}

// externalLocation locates n bytes at off in an external weight file.
func (d *decoder) externalLocation(file string, off, n int64, enc model.Encoding) *model.Location {
	if off < 0 || n <= 0 {
		return nil
	}
	loc := &model.Location{File: file, Offset: off, Length: n, Encoding: enc}
	size := d.externalSize(file)
	switch {
	case size < 0:
		loc.Missing = true
	case off > size || n > size-off:
		d.warn(fmt.Sprintf("external weights at %d+%d lie outside %s (%d bytes)", off, n, filepath.Base(file), size))
		return nil
	}
	return loc
}

// externalFiles lists the external weight files found on disk.
func (d *decoder) externalFiles() []string {
	var files []string
	for f, size := range d.externals {
		if size >= 0 {
			files = append(files, f)
		}
	}
	return files
}
