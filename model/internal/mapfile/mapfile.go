// Package mapfile gives a decoder a model file's bytes without reading
// them: on Unix the file is memory-mapped read-only, so a decoder that
// walks a protobuf by field lengths touches only the pages it reads and
// weight bytes it skips stay on disk. Elsewhere the file is read whole.
//
// A mapped file that shrinks while it is read makes the next access
// fault; Open turns such faults into panics (debug.SetPanicOnFault) for
// the calling goroutine, which the caller recovers into an error. Callers
// must copy whatever they keep (strings, names) before Close.
package mapfile

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/modelpeek/modelpeek/model"
)

// File is a model file's bytes, mapped or read.
type File struct {
	// Data is the whole file.
	Data    []byte
	release func() error
	fault   bool
}

// ErrChanged is returned when a mapped file shrank while it was read.
var ErrChanged = errors.New("the file changed while it was being read")

// Open maps (or reads) the regular file at path, refusing one larger than
// max bytes, and makes memory faults in the calling goroutine panic until
// Close.
func Open(path string, max int64) (*File, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("the file is %d bytes, more than the %d this reader accepts", size, max)
	}
	data, release, err := mapOrRead(f, size)
	if err != nil {
		return nil, err
	}
	return &File{Data: data, release: release, fault: debug.SetPanicOnFault(true)}, nil
}

// Close unmaps the file and restores the goroutine's fault handling.
func (m *File) Close() error {
	debug.SetPanicOnFault(m.fault)
	m.Data = nil
	return m.release()
}

// Recover turns a memory fault raised while reading a mapped file into
// ErrChanged; call it deferred, with the caller's error result.
func Recover(err *error) {
	p := recover()
	if p == nil {
		return
	}
	if re, ok := p.(interface{ Addr() uintptr }); ok && re != nil {
		*err = ErrChanged
		return
	}
	panic(p)
}
