// Package safetensors decodes safetensors weight files, and sharded sets of
// them (model-0000K-of-0000N.safetensors with model.safetensors.index.json),
// into the model IR. Only the JSON headers are read, never the tensor
// bytes, so a 50 GB set opens as fast as a small file.
package safetensors

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// Format returns the registry entry for safetensors files and index files.
func Format() model.Format {
	return model.Format{
		Name:       "safetensors",
		Extensions: []string{".safetensors", ".safetensors.index.json"},
		Detect:     Detect,
		DetectFile: func(path string, head []byte, _ int64) model.Confidence {
			return llm.DetectConfig("safetensors", path, head)
		},
		DetectDir: func(dir string) model.Confidence { return llm.DetectDir("safetensors", dir) },
		Open:      Open,
	}
}

// Detect recognises a safetensors file by its header (Strong: a header
// length that fits the file followed by a JSON object; Plausible: a JSON
// object opening at byte 8 after a length that does not fit, as in a
// truncated download, so the user gets a clear error), and a shard index
// by its content (Plausible: a JSON object with a "weight_map" key).
func Detect(head []byte, size int64) model.Confidence {
	switch {
	case looksLikeShard(head, size):
		return model.Strong
	case looksLikeIndex(head, size), looksLikeBrokenShard(head):
		return model.Plausible
	}
	return model.No
}

// looksLikeBrokenShard reports a JSON object opening at byte 8 with a key
// or its end, whatever the length field says.
func looksLikeBrokenShard(head []byte) bool {
	return len(head) >= 10 && head[8] == '{' && (head[9] == '"' || head[9] == '}')
}

func looksLikeShard(head []byte, size int64) bool {
	if len(head) < 10 || size < 10 {
		return false
	}
	n := binary.LittleEndian.Uint64(head)
	return n >= 2 && n <= maxHeaderLen && n <= uint64(size-8) && head[8] == '{'
}

func looksLikeIndex(head []byte, size int64) bool {
	if size > maxIndexLen {
		return false
	}
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(h) > 0 && h[0] == '{' && bytes.Contains(h, []byte(`"weight_map"`))
}

// Open decodes the safetensors file or shard index at path. Opening an
// index or any shard of a sharded set shows the whole set.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	defer func() {
		// A last resort: a decoder bug must not take the app down.
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("safetensors decoder failed on this file (internal error: %v)", p)
		}
	}()
	if llm.IsConfigPath(path) {
		return openConfig(ctx, path)
	}
	head, size, err := model.ReadHead(path)
	if err != nil {
		return nil, err
	}
	if !looksLikeShard(head, size) {
		h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
		if len(h) > 0 && h[0] == '{' {
			return openIndex(ctx, path, path, nil)
		}
	}
	return openShard(ctx, path)
}

// parseFile parses the header of the safetensors file at path.
func parseFile(path string) (*shard, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseShard(f, size, path)
}

// openConfig opens the weights a Hugging Face config.json (or model
// folder) describes; the config (or folder) comes first in Files.
func openConfig(ctx context.Context, path string) (*model.Model, error) {
	dir := path
	if filepath.Base(path) == llm.ConfigName {
		dir = filepath.Dir(path)
	}
	w, f := llm.HFWeights(dir)
	if f != "safetensors" {
		return nil, fmt.Errorf("no model.safetensors or model.safetensors.index.json beside %s", llm.ConfigName)
	}
	m, err := Open(ctx, w)
	if err != nil {
		return nil, err
	}
	files := []string{filepath.Join(dir, llm.ConfigName)}
	for _, f := range m.Files {
		if f != files[0] {
			files = append(files, f)
		}
	}
	m.Files = files
	return m, nil
}
