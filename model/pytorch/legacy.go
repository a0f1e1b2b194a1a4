package pytorch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pickle"
)

// readPickles reads n consecutive pickles from the start of f, growing the
// buffer while a pickle runs past it (the file may be gigabytes of raw
// storages after a small header). It returns the results and the offset
// just past the last pickle.
func readPickles(f *os.File, size int64, n int) ([]*pickle.Result, int64, error) {
	bufSize := int64(1 << 20)
	for {
		if bufSize > size {
			bufSize = size
		}
		buf := make([]byte, bufSize)
		if _, err := f.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		var out []*pickle.Result
		pos := 0
		var err error
		for i := 0; i < n; i++ {
			var r *pickle.Result
			r, err = pickle.DecodeAt(buf, pos, pickle.DefaultLimits())
			if err != nil {
				break
			}
			out = append(out, r)
			pos = r.End
		}
		if err == nil {
			return out, int64(pos), nil
		}
		if !errors.Is(err, pickle.ErrTruncated) || bufSize >= size || bufSize >= maxPickle {
			return nil, 0, fmt.Errorf("pickle %d of %d: %w", len(out)+1, n, err)
		}
		bufSize *= 4
	}
}

// openLegacy reads the pre-1.6 torch.save format: five pickles (magic
// number, protocol version, sys_info, the object, the storage keys) then
// each storage as an 8-byte element count and its raw bytes. Storage
// offsets are found by walking those counts, without reading the data.
func openLegacy(ctx context.Context, f *os.File, size int64, file string) (*model.Model, error) {
	res, end, err := readPickles(f, size, 5)
	if err != nil {
		return nil, fmt.Errorf("legacy torch.save file: %w", err)
	}
	if v, _ := res[1].Value.(int64); v != 1001 {
		return nil, fmt.Errorf("legacy torch.save protocol %s is not one I know (1001)", describe(res[1].Value))
	}
	littleEndian := true
	if si, ok := res[2].Value.(*pickle.Dict); ok {
		if le, ok := si.Get("little_endian"); ok {
			littleEndian, _ = le.(bool)
		}
	}
	keys, ok := res[4].Value.(*pickle.List)
	if !ok {
		return nil, errors.New("legacy torch.save file: the storage key list is missing")
	}
	// Element sizes come from the storage types the object refers to.
	w := newWalker()
	w.walk(res[3].Value, "", 0)
	storages := map[string]*storageRef{}
	for _, t := range w.tensors {
		if s := t.info.storage; s != nil {
			storages[s.key] = s
		}
	}
	locs := map[string]storageLoc{}
	pos := end
	var warnings []string
	for i, k := range keys.Items {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		key := pickle.KeyString(k)
		s := storages[key]
		if s == nil || s.elemSize <= 0 {
			warnings = append(warnings, fmt.Sprintf("storage %q has no known element type; later storages are not located", key))
			break
		}
		var hdr [8]byte
		if _, err := f.ReadAt(hdr[:], pos); err != nil {
			warnings = append(warnings, fmt.Sprintf("storage %q: the file ends before it (truncated?)", key))
			break
		}
		var n uint64
		if littleEndian {
			n = binary.LittleEndian.Uint64(hdr[:])
		} else {
			n = binary.BigEndian.Uint64(hdr[:])
		}
		if n > uint64(size) || int64(n) > (size-pos-8)/s.elemSize {
			warnings = append(warnings, fmt.Sprintf("storage %q claims %d elements, more than the file holds (truncated?)", key, n))
			break
		}
		length := int64(n) * s.elemSize
		locs[key] = storageLoc{offset: pos + 8, length: length, raw: true, bigEndian: !littleEndian}
		pos += 8 + length
	}
	conv := &converter{file: file, byStorage: map[string][]string{}, locate: func(s *storageRef) (storageLoc, bool) {
		l, ok := locs[s.key]
		return l, ok
	}}
	m := pickleModel(res[3], conv)
	m.Version = "legacy (protocol 1001)"
	m.Warnings = append(m.Warnings, warnings...)
	m.Properties = append([]model.Property{{Name: "container", Value: "legacy torch.save (before PyTorch 1.6)"}}, m.Properties...)
	for _, r := range res {
		flagCalls(m, r.Calls)
	}
	var globals []string
	for _, r := range res {
		globals = append(globals, r.Globals...)
	}
	if len(globals) != len(res[3].Globals) {
		m.Properties = append(m.Properties, globalsProperty(globals))
	}
	return m, nil
}

// openPlainPickle reads a file that is one pickle (a joblib or pickle.dump
// of tensors and values).
func openPlainPickle(ctx context.Context, f *os.File, size int64, file string) (*model.Model, error) {
	res, _, err := readPickles(f, size, 1)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conv := &converter{file: file, byStorage: map[string][]string{}, locate: func(*storageRef) (storageLoc, bool) {
		return storageLoc{}, false
	}}
	m := pickleModel(res[0], conv)
	m.Properties = append([]model.Property{{Name: "container", Value: "plain pickle"}}, m.Properties...)
	flagCalls(m, res[0].Calls)
	return m, nil
}
