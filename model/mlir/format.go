// Package mlir decodes MLIR textual IR (`.mlir`): modules and func-like
// ops, operations in pretty and generic form, regions, block arguments
// and SSA values. Each function becomes a graph whose nodes are its
// top-level ops; an op's regions are graph attributes of its node (one
// subgraph per region: block arguments as inputs, the final terminator's
// operands as outputs, enclosing values read under their outer names).
// Constants with a tensor type are listed as tensors located at their
// literal. MLIR bytecode is recognised and refused with a clear message.
package mlir

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxFile bounds the text read: the whole file is held in memory while
// it is parsed (big constants cost their bytes, not tokens).
const maxFile = 512 << 20

// bytecodeMagic opens MLIR bytecode files.
const bytecodeMagic = "ML\xefR"

// Format returns the registry entry for MLIR.
func Format() model.Format {
	return model.Format{
		Name:       "mlir",
		Extensions: []string{".mlir", ".mlirbc"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises MLIR bytecode by its magic (Strong) and text whose
// first statement (after blank and // comment lines) is a module or a
// function, pretty or generic (Strong), or an attribute/type alias or a
// generic op, or a file whose first bytes are all // comments
// (Plausible).
func Detect(head []byte, size int64) model.Confidence {
	if bytes.HasPrefix(head, []byte(bytecodeMagic)) {
		return model.Strong
	}
	s := skipComments(head)
	switch {
	case len(s) == 0 && len(head) >= model.SniffLen && int64(len(head)) < size && bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("//")):
		// Only // comments so far (a long RUN/CHECK header): maybe.
		return model.Plausible
	case hasWord(s, "module") && startsAny(bytes.TrimLeft(s[6:], " \t\r\n"), "{", "@", "attributes"):
		return model.Strong
	case hasWord(s, "func.func") && startsAny(bytes.TrimLeft(s[9:], " \t"), "@", "private", "public", "nested"):
		return model.Strong
	case startsAny(s, `"builtin.module"()`, `"func.func"()`):
		return model.Strong
	case (len(s) > 1 && (s[0] == '#' || s[0] == '!') && isLetter(s[1])) && bytes.Contains(firstLine(s), []byte(" = ")):
		return model.Plausible
	}
	return model.No
}

// skipComments drops leading blank and // comment lines.
func skipComments(b []byte) []byte {
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		if !bytes.HasPrefix(b, []byte("//")) {
			return b
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
}

func hasWord(b []byte, w string) bool {
	return bytes.HasPrefix(b, []byte(w)) && len(b) > len(w) && (b[len(w)] == ' ' || b[len(w)] == '\t' || b[len(w)] == '\n' || b[len(w)] == '{')
}

func startsAny(b []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// Open decodes the MLIR text file at path.
func Open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxFile {
		return nil, fmt.Errorf("mlir: the file is %d bytes; text larger than %d bytes is not read", size, maxFile)
	}
	src := make([]byte, size)
	if _, err := io.ReadFull(f, src); err != nil {
		return nil, fmt.Errorf("mlir: read: %w", err)
	}
	if bytes.HasPrefix(src, []byte(bytecodeMagic)) {
		return nil, bytecodeError(src)
	}
	p, err := newParser(src)
	if err != nil {
		return nil, fmt.Errorf("mlir: %w", err)
	}
	ops, err := p.parseTop()
	if err != nil {
		return nil, fmt.Errorf("mlir: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return buildModel(p, ops, path), nil
}

// buildModel turns the parsed file into a model: the main function is
// the main graph, the others are Functions.
func buildModel(p *parser, ops []*op, path string) *model.Model {
	funcs := collectFunctions(p, ops, nil, 0)
	main := pickMain(funcs)
	m := &model.Model{Format: "mlir", Producer: "MLIR", Files: []string{path}, FunctionsInNodeCount: true, OpsIncludeSubgraphs: true,
		Graph: &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}}}
	dialects := map[string]bool{}
	perFn := map[string]int{}
	var consts []*model.Tensor
	for i, f := range funcs {
		g, cs, count := buildFunction(p, f, path, dialects)
		perFn[f.name] += count
		consts = append(consts, cs...)
		if i == main {
			m.Graph = g
		} else {
			m.Functions = append(m.Functions, g)
		}
	}
	m.Graph.Initializers = consts
	mainName := ""
	if main >= 0 {
		mainName = funcs[main].name
	}
	m.Properties = []model.Property{{Name: "main function", Value: mainName}, {Name: "functions", Value: fmt.Sprint(len(funcs))},
		{Name: "dialects", Value: strings.Join(sortedKeys(dialects), ", ")}}
	m.Facts = map[string]any{"main": mainName, "functions": len(funcs), "dialects": sortedKeys(dialects), "function_nodes": perFn}
	return m
}

// pickMain returns the index of the non-private function named main, else
// 0 (the first function), or -1 when there is none.
func pickMain(funcs []*function) int {
	for i, f := range funcs {
		if f.name == "main" && !f.private {
			return i
		}
	}
	if len(funcs) == 0 {
		return -1
	}
	return 0
}
