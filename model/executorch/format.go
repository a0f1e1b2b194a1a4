// Package executorch decodes ExecuTorch programs (.pte, file identifier
// "ET12") and bundled programs (.bpte, "BP08") into the model IR: every
// execution plan (method) as a graph of its instructions, EValues as typed
// values, constant tensors located in the file (inline buffers, segments
// after the extended header, named data), delegate blobs by backend.
// Weight bytes are located, never read.
package executorch

import (
	"context"
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// Format returns the registry entry for ExecuTorch files.
func Format() model.Format {
	return model.Format{
		Name:       "executorch",
		Extensions: []string{".pte", ".bpte"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises the flatbuffer file identifier at bytes 4 to 8: "ET"
// followed by two digits for a program, "BP" and two digits for a bundled
// program, with a root offset inside the file.
func Detect(head []byte, size int64) model.Confidence {
	if len(head) < 8 || size < 16 {
		return model.No
	}
	if !isProgramID(head[4:8]) && !isBundledID(head[4:8]) {
		return model.No
	}
	root := int64(head[0]) | int64(head[1])<<8 | int64(head[2])<<16 | int64(head[3])<<24
	if root < 8 || root%4 != 0 || root >= size {
		return model.No
	}
	return model.Strong
}

func isProgramID(id []byte) bool {
	return len(id) == 4 && id[0] == 'E' && id[1] == 'T' && digits(id[2:])
}

func isBundledID(id []byte) bool {
	return len(id) == 4 && id[0] == 'B' && id[1] == 'P' && digits(id[2:])
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Open decodes the ExecuTorch file at path.
func Open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := flatbuf.NewSource(f, size)
	if err != nil {
		return nil, fmt.Errorf("executorch: %w", err)
	}
	m, err := decodeFile(ctx, src, path)
	if err != nil {
		return nil, fmt.Errorf("executorch: %w", err)
	}
	return m, nil
}

// decodeFile decodes a program or a bundled program from src.
func decodeFile(ctx context.Context, src *flatbuf.Source, path string) (*model.Model, error) {
	if src.Size() < 16 {
		return nil, fmt.Errorf("the file is only %d bytes, too short for an ExecuTorch program", src.Size())
	}
	d := &decoder{
		Reader: flatbuf.Reader{Src: src, Budget: 16*min(src.Size(), 256<<20) + 1<<20},
		ctx:    ctx,
		path:   path,
	}
	id := d.Bytes(4, 4)
	switch {
	case isBundledID(id):
		return d.decodeBundled()
	case isProgramID(id):
		return d.decodeProgram(0, src.Size(), nil)
	}
	return nil, fmt.Errorf("not an ExecuTorch program: the file identifier at bytes 4–8 is %q, expected \"ET12\" or \"BP08\"", id)
}
