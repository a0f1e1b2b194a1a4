// Package ziputil opens zip archives defensively: the central directory is
// checked against the file before archive/zip reads it (entry count, a count
// too large for the directory's size, directory outside the file, entries
// overlapping one another), and every entry read is capped in size, in
// compression ratio and in the total decompressed bytes of the archive.
// Model formats built on zip (PyTorch, Keras 3) read small metadata entries
// through it and locate large weight entries without reading them.
package ziputil

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Limits bound what an Archive accepts and reads.
type Limits struct {
	// MaxEntries is the most entries the central directory may list.
	MaxEntries int
	// MaxEntrySize is the most decompressed bytes ReadFile returns for one
	// entry (callers may ask for less).
	MaxEntrySize int64
	// MaxTotalRead is the most decompressed bytes all ReadFile calls on
	// one Archive may return together.
	MaxTotalRead int64
	// MaxRatio is the highest declared uncompressed/compressed ratio of a
	// compressed entry (deflate cannot exceed about 1032).
	MaxRatio int64
	// MaxDepth is how many zips may nest inside one another (Nested).
	MaxDepth int
}

// DefaultLimits are generous for real model archives and small enough that
// a hostile archive cannot exhaust memory.
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:   200_000,
		MaxEntrySize: 512 << 20,
		MaxTotalRead: 1 << 30,
		MaxRatio:     1100,
		MaxDepth:     2,
	}
}

// Archive is an opened zip file.
type Archive struct {
	zr     *zip.Reader
	closer io.Closer
	size   int64
	lim    Limits
	depth  int
	read   int64
	byName map[string]*zip.File
}

// Sizes of fixed zip records.
const (
	eocdLen          = 22
	eocd64LocatorLen = 20
	eocd64Len        = 56
	dirHeaderLen     = 46
	localHeaderLen   = 30
)

// IsZip reports whether head starts with a zip local file header.
func IsZip(head []byte) bool {
	return len(head) >= 4 && string(head[:4]) == "PK\x03\x04"
}

// FirstName returns the file name of the first local header in head, or ""
// when head does not hold one.
func FirstName(head []byte) string {
	if !IsZip(head) || len(head) < localHeaderLen {
		return ""
	}
	n := int(binary.LittleEndian.Uint16(head[26:]))
	if localHeaderLen+n > len(head) {
		return ""
	}
	return string(head[localHeaderLen : localHeaderLen+n])
}

// Open opens the zip file at path. The caller must Close the Archive.
func Open(path string, lim Limits) (*Archive, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	a, err := newArchive(f, size, lim, 0)
	if err != nil {
		f.Close()
		return nil, err
	}
	a.closer = f
	return a, nil
}

// NewReader opens a zip held by ra (size bytes). Close is then a no-op.
func NewReader(ra io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	return newArchive(ra, size, lim, 0)
}

func newArchive(ra io.ReaderAt, size int64, lim Limits, depth int) (*Archive, error) {
	if depth > lim.MaxDepth {
		return nil, fmt.Errorf("zip archives nested more than %d deep", lim.MaxDepth)
	}
	dir, err := readDirectoryEnd(ra, size)
	if err != nil {
		return nil, err
	}
	if dir.entries > uint64(lim.MaxEntries) {
		return nil, fmt.Errorf("zip archive lists %d entries, more than the limit of %d", dir.entries, lim.MaxEntries)
	}
	if dir.offset > uint64(size) || dir.size > uint64(size)-dir.offset {
		return nil, errors.New("zip central directory lies outside the file (truncated or damaged archive)")
	}
	if dir.entries > dir.size/dirHeaderLen {
		return nil, fmt.Errorf("zip archive claims %d entries but its directory holds at most %d (forged entry count)", dir.entries, dir.size/dirHeaderLen)
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return nil, fmt.Errorf("read zip directory: %w", err)
	}
	a := &Archive{zr: zr, size: size, lim: lim, depth: depth, byName: make(map[string]*zip.File, len(zr.File))}
	if err := a.check(); err != nil {
		return nil, err
	}
	for _, f := range zr.File {
		if _, dup := a.byName[f.Name]; !dup {
			a.byName[f.Name] = f
		}
	}
	return a, nil
}

// check rejects entries whose data lies outside the file, that overlap
// (the "overlapping files" zip bomb), or whose declared ratio is absurd.
func (a *Archive) check() error {
	type span struct{ start, end int64 }
	spans := make([]span, 0, len(a.zr.File))
	for _, f := range a.zr.File {
		off, err := f.DataOffset()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", f.Name, err)
		}
		if off < 0 || f.CompressedSize64 > uint64(a.size) || off > a.size-int64(f.CompressedSize64) {
			return fmt.Errorf("zip entry %q extends past the end of the file", f.Name)
		}
		if f.Method == zip.Store && f.UncompressedSize64 != f.CompressedSize64 {
			return fmt.Errorf("zip entry %q is stored but declares two different sizes", f.Name)
		}
		if f.Method != zip.Store {
			c := f.CompressedSize64
			if c == 0 {
				c = 1
			}
			if f.UncompressedSize64/c > uint64(a.lim.MaxRatio) {
				return fmt.Errorf("zip entry %q claims a compression ratio above %d:1 (zip bomb?)", f.Name, a.lim.MaxRatio)
			}
		}
		spans = append(spans, span{off, off + int64(f.CompressedSize64)})
	}
	slices.SortFunc(spans, func(x, y span) int {
		switch {
		case x.start < y.start:
			return -1
		case x.start > y.start:
			return 1
		}
		return 0
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return errors.New("zip entries overlap one another (zip bomb?)")
		}
	}
	return nil
}

type dirEnd struct {
	entries, size, offset uint64
}

// readDirectoryEnd finds the end-of-central-directory record (and its zip64
// form) and returns what it declares.
func readDirectoryEnd(ra io.ReaderAt, size int64) (dirEnd, error) {
	if size < eocdLen {
		return dirEnd{}, errors.New("not a zip archive (too short)")
	}
	tail := int64(eocdLen + 65535 + eocd64LocatorLen)
	if tail > size {
		tail = size
	}
	buf := make([]byte, tail)
	if _, err := ra.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return dirEnd{}, fmt.Errorf("read zip directory end: %w", err)
	}
	p := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if string(buf[i:i+4]) == "PK\x05\x06" {
			p = i
			break
		}
	}
	if p < 0 {
		return dirEnd{}, errors.New("not a zip archive (no central directory; truncated?)")
	}
	e := buf[p:]
	d := dirEnd{
		entries: uint64(binary.LittleEndian.Uint16(e[10:])),
		size:    uint64(binary.LittleEndian.Uint32(e[12:])),
		offset:  uint64(binary.LittleEndian.Uint32(e[16:])),
	}
	if d.entries != 0xffff && d.size != 0xffffffff && d.offset != 0xffffffff {
		return d, nil
	}
	// zip64: the locator sits just before the record.
	if p < eocd64LocatorLen || string(buf[p-eocd64LocatorLen:p-eocd64LocatorLen+4]) != "PK\x06\x07" {
		return d, nil
	}
	loc := buf[p-eocd64LocatorLen:]
	recOff := binary.LittleEndian.Uint64(loc[8:])
	if recOff > uint64(size) || uint64(size)-recOff < eocd64Len {
		return dirEnd{}, errors.New("zip64 directory record lies outside the file")
	}
	rec := make([]byte, eocd64Len)
	if _, err := ra.ReadAt(rec, int64(recOff)); err != nil {
		return dirEnd{}, fmt.Errorf("read zip64 directory record: %w", err)
	}
	if string(rec[:4]) != "PK\x06\x06" {
		return dirEnd{}, errors.New("zip64 directory record is damaged")
	}
	return dirEnd{
		entries: binary.LittleEndian.Uint64(rec[32:]),
		size:    binary.LittleEndian.Uint64(rec[40:]),
		offset:  binary.LittleEndian.Uint64(rec[48:]),
	}, nil
}

// Close releases the file.
func (a *Archive) Close() error {
	if a.closer != nil {
		return a.closer.Close()
	}
	return nil
}

// Files returns the entries in directory order.
func (a *Archive) Files() []*zip.File { return a.zr.File }

// Lookup returns the first entry with this exact name, or nil.
func (a *Archive) Lookup(name string) *zip.File { return a.byName[name] }

// Size is the archive's size in bytes.
func (a *Archive) Size() int64 { return a.size }

// ReadFile returns the decompressed bytes of f, refusing entries larger than
// max (or than Limits.MaxEntrySize when max <= 0) and stopping when the
// archive's total read budget is spent, whatever the entry declares.
func (a *Archive) ReadFile(f *zip.File, max int64) ([]byte, error) {
	if max <= 0 || max > a.lim.MaxEntrySize {
		max = a.lim.MaxEntrySize
	}
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("zip entry %q is %d bytes, more than the %d I will read", f.Name, f.UncompressedSize64, max)
	}
	budget := a.lim.MaxTotalRead - a.read
	if int64(f.UncompressedSize64) > budget {
		return nil, fmt.Errorf("zip entry %q: archive read budget of %d bytes spent", f.Name, a.lim.MaxTotalRead)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %q: %w", f.Name, err)
	}
	defer rc.Close()
	limit := min(max, budget)
	// Grow with the data actually produced, not with what the entry
	// declares: a small hostile file cannot make us reserve its claim.
	buf := bytes.NewBuffer(make([]byte, 0, int(min(f.UncompressedSize64, 1<<20))))
	n, err := io.Copy(buf, io.LimitReader(rc, limit+1))
	a.read += n
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
		return nil, fmt.Errorf("zip entry %q is damaged or decompresses to more than it declares (zip bomb?): %w", f.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("zip entry %q: %w", f.Name, err)
	}
	if n > limit || uint64(n) != f.UncompressedSize64 {
		return nil, fmt.Errorf("zip entry %q decompresses to more than it declares (zip bomb?)", f.Name)
	}
	return buf.Bytes(), nil
}

// StoredRange returns where an uncompressed (stored) entry's bytes lie in
// the archive, and false for compressed entries.
func (a *Archive) StoredRange(f *zip.File) (offset, length int64, ok bool) {
	if f.Method != zip.Store || f.Flags&1 != 0 { // compressed or encrypted
		return 0, 0, false
	}
	off, err := f.DataOffset()
	if err != nil {
		return 0, 0, false
	}
	return off, int64(f.UncompressedSize64), true
}

// Nested opens entry f, itself a zip archive, counting nesting depth
// against Limits.MaxDepth. Its reads count against its own budget, and the
// bytes read to open it against this archive's.
func (a *Archive) Nested(f *zip.File) (*Archive, error) {
	if a.depth+1 > a.lim.MaxDepth {
		return nil, fmt.Errorf("zip entry %q: zip archives nested more than %d deep", f.Name, a.lim.MaxDepth)
	}
	data, err := a.ReadFile(f, 0)
	if err != nil {
		return nil, err
	}
	return newArchive(bytes.NewReader(data), int64(len(data)), a.lim, a.depth+1)
}

// Root returns the common top-level directory of all entries ("archive"
// for "archive/data.pkl"), or "" when entries do not share one.
func (a *Archive) Root() string {
	root := ""
	for i, f := range a.zr.File {
		dir, _, ok := strings.Cut(f.Name, "/")
		if !ok {
			return ""
		}
		if i == 0 {
			root = dir
		} else if dir != root {
			return ""
		}
	}
	return root
}
