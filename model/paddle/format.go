// Package paddle decodes PaddlePaddle inference programs (.pdmodel, a
// serialized ProgramDesc protobuf, or the older __model__) into the model
// IR. Block 0 is the main graph; the sub-blocks of control-flow ops
// (conditional_block, while) are subgraphs of those ops. Weights are the
// persistable variables; their bytes are located in the sibling
// .pdiparams file (save_combine layout) and never read.
package paddle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/modelpeek/modelpeek/model"
)

// maxProgram is the largest program file read (programs hold structure
// only; weights live in the .pdiparams file).
const maxProgram = 1 << 30

// blockZeroHead is how block 0 starts after its length: idx = 0, then
// parent_idx = -1 as a ten-byte varint.
var blockZeroHead = []byte{0x08, 0x00, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}

// Format returns the registry entry for PaddlePaddle programs.
func Format() model.Format {
	return model.Format{
		Name:       "paddle",
		Extensions: []string{".pdmodel"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises a ProgramDesc by its first field: blocks (field 1),
// whose first block declares idx 0 and parent_idx -1.
func Detect(head []byte, size int64) model.Confidence {
	if len(head) < 2 || head[0] != 0x0a {
		return model.No
	}
	i := 1
	for i < len(head) && i < 6 && head[i]&0x80 != 0 {
		i++
	}
	i++
	if i > 6 || !bytes.HasPrefix(head[min(i, len(head)):], blockZeroHead) {
		return model.No
	}
	return model.Strong
}

// Open decodes the program at path and locates its weights.
func Open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxProgram {
		return nil, fmt.Errorf("paddle: the program is %d bytes, more than the %d I read", size, maxProgram)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("paddle: read program: %w", err)
	}
	return decode(ctx, data, path)
}

// decode builds the model of an in-memory program; path names the file for
// weight locations and the sibling .pdiparams.
func decode(ctx context.Context, data []byte, path string) (*model.Model, error) {
	if Detect(data[:min(len(data), model.SniffLen)], int64(len(data))) == model.No {
		return nil, errors.New("paddle: not a PaddlePaddle program (no ProgramDesc block 0 at the start)")
	}
	prog, err := parseProgram(data)
	if err != nil {
		return nil, fmt.Errorf("paddle: damaged or truncated program: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := newBuilder(prog)
	main, orphans, err := b.build()
	if err != nil {
		return nil, fmt.Errorf("paddle: %w", err)
	}
	m := &model.Model{
		Format:               "paddle",
		Producer:             producer(prog.version),
		Version:              fmt.Sprint(prog.version),
		Graph:                main,
		Functions:            orphans,
		FunctionsInNodeCount: true,
		Facts:                programFacts(prog),
		Files:                []string{path},
	}
	if pp, warn := locateParams(path, main.Initializers); pp != "" || warn != nil {
		if pp != "" {
			m.Files = append(m.Files, pp)
		}
		m.Warnings = append(m.Warnings, warn...)
	}
	m.Properties = []model.Property{{Name: "blocks", Value: fmt.Sprint(len(prog.blocks))}}
	return m, nil
}

// programFacts are the structured metadata: version, blocks, ops per block.
func programFacts(p *program) map[string]any {
	ops := make([]int, len(p.blocks))
	for i, b := range p.blocks {
		ops[i] = len(b.ops)
	}
	return map[string]any{"version": p.version, "blocks": len(p.blocks), "block_ops": ops}
}

// producer names the writer: ProgramDesc.version is the Paddle release as
// major*10^6 + minor*10^3 + patch (2005000 is 2.5.0); 0 is a develop build.
func producer(v int64) string {
	if v <= 0 || v >= 1e9 {
		return "PaddlePaddle"
	}
	return fmt.Sprintf("PaddlePaddle %d.%d.%d", v/1e6, v/1e3%1e3, v%1e3)
}
