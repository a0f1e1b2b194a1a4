package coreml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxMIL is the largest model.mil read (the text holds no weights).
const maxMIL = 256 << 20

// compiledMeta is one entry of an .mlmodelc's metadata.json.
type compiledMeta struct {
	SpecificationVersion json.Number       `json:"specificationVersion"`
	InputSchema          []schemaEntry     `json:"inputSchema"`
	OutputSchema         []schemaEntry     `json:"outputSchema"`
	UserDefined          map[string]string `json:"userDefinedMetadata"`
	Author               string            `json:"author"`
	ShortDescription     string            `json:"shortDescription"`
	License              string            `json:"license"`
	Version              string            `json:"version"`
	ModelType            struct {
		Name string `json:"name"`
	} `json:"modelType"`
}

// schemaEntry is an input or output of metadata.json.
type schemaEntry struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	DataType string `json:"dataType"`
	Shape    string `json:"shape"`
}

// openCompiled opens an .mlmodelc folder: model.mil is the graph,
// metadata.json gives the inputs, outputs and metadata.
func openCompiled(ctx context.Context, dir string) (*model.Model, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var metas []compiledMeta
	if err := readJSON(root, "metadata.json", &metas); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var meta compiledMeta
	if len(metas) > 0 {
		meta = metas[0]
	}
	m := &model.Model{Format: "coreml", Facts: map[string]any{}, Metadata: meta.UserDefined}
	m.Files = []string{dir}
	if err := compiledGraph(ctx, root, dir, m); err != nil {
		return nil, err
	}
	if len(metas) > 0 {
		m.Graph.Inputs, m.Graph.Outputs = schemaValues(meta.InputSchema), schemaValues(meta.OutputSchema)
	}
	compiledFacts(m, meta)
	m.Producer = producer(meta.Author, meta.UserDefined)
	for _, name := range []string{"metadata.json", "coremldata.bin", "model.mil"} {
		if st, err := root.Stat(name); err == nil && st.Mode().IsRegular() {
			m.Files = append(m.Files, filepath.Join(dir, name))
		}
	}
	return m, nil
}

// compiledGraph parses model.mil, when there is one, into m's graphs.
func compiledGraph(ctx context.Context, root *os.Root, dir string, m *model.Model) error {
	f, err := root.Open("model.mil")
	if errors.Is(err, fs.ErrNotExist) {
		return compiledNetwork(ctx, root, dir, m)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxMIL {
		return fmt.Errorf("model.mil is not a regular file of at most %d bytes", maxMIL)
	}
	var text strings.Builder
	text.Grow(int(st.Size()))
	if _, err := io.Copy(&text, io.LimitReader(f, st.Size())); err != nil {
		return err
	}
	path := filepath.Join(dir, "model.mil")
	d := &decoder{ctx: ctx, src: bytesSource(nil), path: path, weightsDir: dir}
	defer d.closeBlobs()
	p := &milParser{lex: milLexer{src: text.String()}, d: d}
	fns := p.parseProgram()
	if p.err != nil {
		return p.err
	}
	return programModel(fns, d, m)
}

// compiledNetwork shows a compiled model without model.mil: the layers of
// model.espresso.net when it is there, else inputs and outputs only.
func compiledNetwork(ctx context.Context, root *os.Root, dir string, m *model.Model) error {
	d := &decoder{ctx: ctx, src: bytesSource(nil), path: filepath.Join(dir, "model.espresso.net")}
	g, err := espressoGraph(root, d)
	switch {
	case err == nil:
		m.Graph = g
		m.Files = append(m.Files, d.path)
	case errors.Is(err, fs.ErrNotExist):
		m.Graph = &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
		m.Warnings = append(m.Warnings, "this compiled model has neither model.mil nor model.espresso.net: only its inputs and outputs are shown")
	default:
		return err
	}
	return nil
}

// programModel sets m's graph to function main (else the first) of a MIL
// text program and lists the others as functions.
func programModel(fns []textFunction, d *decoder, m *model.Model) error {
	if len(fns) == 0 {
		return fmt.Errorf("model.mil holds no functions")
	}
	m.FunctionsInNodeCount = true
	main := 0
	for i, fn := range fns {
		if fn.name == "main" {
			main = i
		}
	}
	for i, fn := range fns {
		if i == main {
			m.Graph = fn.graph
			m.Facts["opset"] = fn.opset
			continue
		}
		m.Functions = append(m.Functions, fn.graph)
	}
	m.Facts["functions"] = sortedFunctionNames(fns)
	m.Opsets = opsetOf(m.Facts["opset"])
	m.Warnings = append(m.Warnings, d.warnings...)
	return nil
}

func compiledFacts(m *model.Model, meta compiledMeta) {
	if v, err := meta.SpecificationVersion.Int64(); err == nil {
		m.Facts["specificationVersion"] = v
		m.Version = fmt.Sprint(v)
	}
	if t, ok := strings.CutPrefix(meta.ModelType.Name, "MLModelType_"); ok {
		m.Facts["model_type"] = t
	}
	for k, v := range map[string]string{"author": meta.Author, "shortDescription": meta.ShortDescription,
		"license": meta.License, "versionString": meta.Version} {
		if v != "" {
			m.Facts[k] = v
		}
	}
	m.Description = meta.ShortDescription
}

// schemaValues maps metadata.json schema entries to values: MultiArray
// with their lower-case dataType and shape, other types by name.
func schemaValues(es []schemaEntry) []*model.Value {
	out := make([]*model.Value, 0, len(es))
	for _, e := range es {
		t := &model.Type{Kind: model.KindTensor, DType: model.DType(strings.ToLower(e.DataType))}
		switch e.Type {
		case "MultiArray", "State":
			t.Shape = parseShape(e.Shape)
		case "Image":
			t.DType = "image"
		case "Dictionary":
			t.DType = "dictionary"
		case "String":
			t.DType, t.Shape = "string", model.Shape{}
		case "Int64":
			t.DType, t.Shape = "int64", model.Shape{}
		case "Double":
			t.DType, t.Shape = "float64", model.Shape{}
		}
		out = append(out, &model.Value{Name: e.Name, Type: t})
	}
	return out
}

// parseShape parses "[1, 10]"; nil when it does not parse.
func parseShape(s string) model.Shape {
	var dims []int64
	if json.Unmarshal([]byte(s), &dims) != nil || len(dims) > 64 {
		return nil
	}
	out := model.Shape{}
	for _, n := range dims {
		out = append(out, dim(n))
	}
	return out
}
