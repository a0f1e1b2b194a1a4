// Package gguf decodes GGUF files (llama.cpp / ggml model weights) into the
// model IR. It reads only the header — metadata and tensor infos — through
// a buffered reader, never tensor data, so a 100 GB model opens at once.
package gguf

import (
	"bufio"
	"context"
	"fmt"

	"github.com/modelpeek/modelpeek/model"
)

// Format returns the registry entry for GGUF files.
func Format() model.Format {
	return model.Format{
		Name:       "gguf",
		Extensions: []string{".gguf"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises the GGUF magic, little-endian ("GGUF") or written
// byte-swapped by a big-endian writer ("FUGG").
func Detect(head []byte, size int64) model.Confidence {
	if len(head) >= 4 && (string(head[:4]) == "GGUF" || string(head[:4]) == "FUGG") {
		return model.Strong
	}
	return model.No
}

// Open decodes the GGUF file at path, and every other split of the same
// model when the name has the "-00001-of-00003.gguf" form.
func Open(ctx context.Context, path string) (*model.Model, error) {
	h, err := readFile(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	parts := []part{{path: path, h: h}}
	var warnings []string
	if sp, ok := parseSplitName(path); ok {
		more, warn, err := openSplits(ctx, sp, path)
		if err != nil {
			return nil, err
		}
		parts, warnings = append(parts, more...), warn
	} else if v, ok := h.Lookup("split.count"); ok {
		if n, _ := v.AsInt(); n > 1 {
			warnings = append(warnings, fmt.Sprintf("this file is one of %d splits, but its name does not follow the -00001-of-%05d.gguf pattern, so the other splits were not found", n, n))
		}
	}
	m, err := assemble(parts)
	if err != nil {
		return nil, err
	}
	m.Warnings = append(warnings, m.Warnings...)
	return m, nil
}

// readFile reads the header of one GGUF file.
func readFile(ctx context.Context, path string, win *window) (*Header, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := readHeader(ctx, bufio.NewReaderSize(f, readBufferSize), size, win)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	return h, nil
}

// maxWindow is the most array items ReadArray returns at once.
const maxWindow = 1 << 16

// ReadArray returns items [from, from+n) of the array stored under key in
// the GGUF file at path: the full values behind the first ArrayKeep items
// Open keeps, at most 65,536 at a time. It reads the header again,
// skipping what it does not need.
func ReadArray(ctx context.Context, path, key string, from, n uint64) (*Value, error) {
	if n > maxWindow {
		n = maxWindow
	}
	h, err := readFile(ctx, path, &window{key: key, from: from, n: n})
	if err != nil {
		return nil, err
	}
	v, ok := h.Lookup(key)
	if !ok {
		return nil, fmt.Errorf("gguf: no metadata key %q", key)
	}
	if v.Type != TypeArray {
		return nil, fmt.Errorf("gguf: metadata %q is a %s, not an array", key, v.Type)
	}
	return v, nil
}
