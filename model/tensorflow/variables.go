package tensorflow

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// maxIndexSize bounds the checkpoint index read into memory.
const maxIndexSize = 256 << 20

// variables lists the tensors of a SavedModel's checkpoint
// (variables/variables.index) with their locations in the data shards.
// It returns nil tensors and no error when there is no variables folder.
func variables(w *wire, dir string) (tensors []*model.Tensor, files []string, err error) {
	index := filepath.Join(dir, "variables", "variables.index")
	data, err := readBounded(index, maxIndexSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("variables index: %w", err)
	}
	entries, err := readTable(data, len(data)/3+1)
	if err != nil {
		return nil, nil, err
	}
	shards := int64(1)
	files = []string{index}
	for _, e := range entries {
		if len(e.key) == 0 {
			shards = headerShards(e.value)
			break
		}
	}
	shardFiles := make([]string, 0, min(shards, 1024))
	for i := int64(0); i < shards && i < 1024; i++ {
		p := filepath.Join(dir, "variables", fmt.Sprintf("variables.data-%05d-of-%05d", i, shards))
		shardFiles = append(shardFiles, p)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	for _, e := range entries {
		if len(e.key) == 0 {
			continue
		}
		if err := w.spend(costAttr + int64(len(e.key))); err != nil {
			return nil, nil, err
		}
		t, err := bundleEntry(e, shardFiles)
		if err != nil {
			return nil, nil, fmt.Errorf("variable %q: %w", e.key, err)
		}
		tensors = append(tensors, t)
	}
	return tensors, files, nil
}

// headerShards reads num_shards from a BundleHeaderProto (1 when absent).
func headerShards(b []byte) int64 {
	n := int64(1)
	_ = pbwire.Walk(b, 0, func(f pbwire.Field) error {
		if f.Num == 1 && f.Int() > 0 {
			n = f.Int()
		}
		return nil
	})
	return n
}

// bundleEntry decodes a BundleEntryProto into a located tensor.
func bundleEntry(e tableEntry, shardFiles []string) (*model.Tensor, error) {
	var dtype, shard, off, size int64
	var shape shapeInfo
	sliced := false
	w := &wire{budget: 1 << 20}
	err := walk(e.value, 0, 0, func(f pbwire.Field, d pbwire.Depth) error {
		var err error
		switch f.Num {
		case 1:
			dtype = f.Int()
		case 2:
			if err = wantBytes(f, "shape"); err == nil {
				shape, err = w.shape(f.Bytes, f.Off, d)
			}
		case 3:
			shard = f.Int()
		case 4:
			off = f.Int()
		case 5:
			size = f.Int()
		case 7:
			sliced = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	t := irTensor(pbwire.Field{Bytes: e.key}.String(), &tensorInfo{dtype: dtype, shape: shape})
	if sliced || shard < 0 || shard >= int64(len(shardFiles)) || off < 0 || size < 0 {
		return t, nil
	}
	enc := model.EncRaw
	if t.DType == "string" || t.DType == "resource" || t.DType == "variant" {
		enc = model.EncOpaque
	}
	t.Location = &model.Location{File: shardFiles[shard], Offset: off, Length: size, Encoding: enc}
	if _, err := os.Stat(shardFiles[shard]); err != nil {
		t.Location.Missing = true
	}
	return t, nil
}

// readBounded reads a whole regular file, refusing one over max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d this reader accepts", filepath.Base(path), size, max)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}
