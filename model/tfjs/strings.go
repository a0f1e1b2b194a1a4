package tfjs

import (
	"encoding/binary"
	"errors"
	"os"

	"github.com/modelpeek/modelpeek/model"
)

// maxStrings bounds the strings walked to size the string weights of a
// model (each costs one small read).
const maxStrings = 1 << 18

// stringsSize is the byte size of a string weight stored from group
// offset off: tfjs writes each string as a little-endian uint32 length and
// its bytes, so only the length prefixes are read (string bytes are
// skipped, never read). False when a shard it needs is missing or the
// data ends early.
func stringsSize(shards []shard, off int64, shape []int64, budget *int64) (int64, bool) {
	n, ok := model.NumElements(shape)
	if !ok || n > *budget {
		return 0, false
	}
	*budget -= n
	g := &groupAt{shards: shards, files: map[int]*os.File{}}
	defer g.close()
	pos := off
	var prefix [4]byte
	for range n {
		if err := g.readAt(prefix[:], pos); err != nil {
			return 0, false
		}
		pos += 4 + int64(binary.LittleEndian.Uint32(prefix[:]))
	}
	if end, ok := g.end(); !ok || pos > end {
		return 0, false
	}
	return pos - off, true
}

// groupAt reads a group's byte stream at given offsets, over its shards.
type groupAt struct {
	shards []shard
	files  map[int]*os.File
}

var errNoShard = errors.New("no shard holds these bytes")

// readAt fills p from group offset off, crossing shard ends.
func (g *groupAt) readAt(p []byte, off int64) error {
	for len(p) > 0 {
		i := g.shardAt(off)
		if i < 0 {
			return errNoShard
		}
		s := g.shards[i]
		f, err := g.file(i)
		if err != nil {
			return err
		}
		k := min(int64(len(p)), s.start+s.size-off)
		if _, err := f.ReadAt(p[:k], off-s.start); err != nil {
			return err
		}
		p, off = p[k:], off+k
	}
	return nil
}

// shardAt is the index of the present shard holding offset off, or -1.
func (g *groupAt) shardAt(off int64) int {
	for i, s := range g.shards {
		if s.size >= 0 && off >= s.start && off < s.start+s.size {
			if s.missing {
				return -1
			}
			return i
		}
	}
	return -1
}

// end is the group's total size, false when a shard's size is unknown.
func (g *groupAt) end() (int64, bool) {
	if len(g.shards) == 0 {
		return 0, true
	}
	last := g.shards[len(g.shards)-1]
	return last.start + last.size, last.size >= 0
}

func (g *groupAt) file(i int) (*os.File, error) {
	if f, ok := g.files[i]; ok {
		return f, nil
	}
	f, err := os.Open(g.shards[i].abs)
	if err != nil {
		return nil, err
	}
	g.files[i] = f
	return f, nil
}

func (g *groupAt) close() {
	for _, f := range g.files {
		f.Close()
	}
}
