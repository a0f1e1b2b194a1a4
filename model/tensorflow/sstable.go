package tensorflow

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A TensorFlow checkpoint index (variables.index) is a LevelDB-format
// table: data blocks of prefix-compressed key/value entries, an index
// block pointing at them, and a 48-byte footer ending in a magic number.

// tableMagic ends every LevelDB table footer.
const tableMagic = 0xdb4775248b80fb57

// errTable wraps every error about a table that does not parse.
var errTable = errors.New("the checkpoint index is not a valid table")

// maxBlock bounds one decoded block (LevelDB writes 4 KiB blocks; a
// TensorFlow index may use larger ones).
const maxBlock = 64 << 20

// tableEntry is one key/value pair of a table.
type tableEntry struct {
	key, value []byte
}

// readTable returns every entry of a table held in memory, in order;
// at most maxEntries are read.
func readTable(data []byte, maxEntries int) ([]tableEntry, error) {
	if len(data) < 48 || binary.LittleEndian.Uint64(data[len(data)-8:]) != tableMagic {
		return nil, fmt.Errorf("%w: no table footer", errTable)
	}
	footer := data[len(data)-48:]
	_, n := blockHandle(footer) // metaindex
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad footer", errTable)
	}
	index, err := readBlock(data, footer[n:])
	if err != nil {
		return nil, fmt.Errorf("index block: %w", err)
	}
	keyBudget := 4*int64(len(data)) + 1<<20
	indexEntries, err := blockEntries(index, maxEntries, &keyBudget)
	if err != nil {
		return nil, fmt.Errorf("index block: %w", err)
	}
	var out []tableEntry
	for _, ie := range indexEntries {
		block, err := readBlock(data, ie.value)
		if err != nil {
			return nil, fmt.Errorf("data block: %w", err)
		}
		es, err := blockEntries(block, maxEntries-len(out), &keyBudget)
		if err != nil {
			return nil, fmt.Errorf("data block: %w", err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// handle is a block's place in the table.
type handle struct{ off, size uint64 }

// blockHandle decodes a BlockHandle (two varints) and its length.
func blockHandle(b []byte) (handle, int) {
	off, n1 := binary.Uvarint(b)
	if n1 <= 0 {
		return handle{}, -1
	}
	size, n2 := binary.Uvarint(b[n1:])
	if n2 <= 0 {
		return handle{}, -1
	}
	return handle{off, size}, n1 + n2
}

// readBlock returns the contents of the block a handle points at,
// decompressed; the block is followed by a type byte and a checksum.
func readBlock(data, h []byte) ([]byte, error) {
	bh, n := blockHandle(h)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad block handle", errTable)
	}
	end := bh.off + bh.size + 5
	if bh.size > uint64(len(data)) || bh.off > uint64(len(data)) || end > uint64(len(data)) {
		return nil, fmt.Errorf("%w: block past the end of the file", errTable)
	}
	raw := data[bh.off : bh.off+bh.size]
	switch data[bh.off+bh.size] {
	case 0:
		return raw, nil
	case 1:
		b, err := unsnappy(raw, maxBlock)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errTable, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: unknown block compression %d", errTable, data[bh.off+bh.size])
}

// blockEntries decodes a block's entries: each shares a prefix with the
// previous key; the restart array at the end is skipped. Keys are
// rebuilt from shared prefixes, so their total size is charged to
// keyBudget: hostile prefixes cannot grow it quadratically.
func blockEntries(b []byte, max int, keyBudget *int64) ([]tableEntry, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: short block", errTable)
	}
	restarts := uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	if restarts*4+4 > uint64(len(b)) {
		return nil, fmt.Errorf("%w: bad restart count", errTable)
	}
	body := b[:uint64(len(b))-4-restarts*4]
	var out []tableEntry
	var key []byte
	for len(body) > 0 {
		if len(out) >= max {
			return nil, fmt.Errorf("%w: too many entries", errTable)
		}
		var e tableEntry
		var err error
		e, key, body, err = blockEntry(body, key)
		if err != nil {
			return nil, err
		}
		if *keyBudget -= int64(len(key)) + 32; *keyBudget < 0 {
			return nil, fmt.Errorf("%w: keys larger than the file allows", errTable)
		}
		out = append(out, e)
	}
	return out, nil
}

// blockEntry decodes one entry given the previous key.
func blockEntry(body, prev []byte) (tableEntry, []byte, []byte, error) {
	var v [3]uint64
	for i := range v {
		x, n := binary.Uvarint(body)
		if n <= 0 {
			return tableEntry{}, nil, nil, fmt.Errorf("%w: bad entry header", errTable)
		}
		v[i], body = x, body[n:]
	}
	shared, unshared, vlen := v[0], v[1], v[2]
	if shared > uint64(len(prev)) || unshared > uint64(len(body)) || vlen > uint64(len(body))-unshared {
		return tableEntry{}, nil, nil, fmt.Errorf("%w: entry past the end of its block", errTable)
	}
	key := make([]byte, 0, shared+unshared)
	key = append(append(key, prev[:shared]...), body[:unshared]...)
	val := body[unshared : unshared+vlen]
	return tableEntry{key: key, value: val}, key, body[unshared+vlen:], nil
}
