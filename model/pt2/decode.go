package pt2

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

// decoder holds an opened archive while it is decoded.
type decoder struct {
	ctx      context.Context
	file     string
	f        io.ReaderAt
	a        *ziputil.Archive
	l        *layout
	warnings []string
}

// decode builds the model of the main program (or of an AOTInductor
// package without one).
func (d *decoder) decode() (*model.Model, error) {
	if len(d.l.entries) == 0 {
		return d.aotiModel(), nil
	}
	i := d.l.main()
	ep, err := readProgram(d.a, d.l.entries[i])
	if err != nil {
		return nil, err
	}
	if err := d.ctx.Err(); err != nil {
		return nil, err
	}
	g, s, err := mainGraph(ep)
	if err != nil {
		return nil, err
	}
	m := &model.Model{Format: "pt2", Producer: "torch.export", Graph: g, Facts: d.facts(ep)}
	if ep.TorchVersion != nil && *ep.TorchVersion != "" {
		m.Producer = "PyTorch " + *ep.TorchVersion
	}
	if v, ok := schemaVersion(ep.SchemaVersion); ok {
		m.Version = fmt.Sprint(v)
	}
	for ns, v := range ep.OpsetVersion {
		m.Opsets = append(m.Opsets, model.Opset{Domain: ns, Version: v})
	}
	d.locate(g.Initializers, i)
	m.Functions = d.otherPrograms(i)
	m.Properties = d.properties(ep, s)
	m.Warnings = d.warnings
	return m, nil
}

// locate finds the bytes of the weights of program i.
func (d *decoder) locate(ts []*model.Tensor, i int) {
	loc := newLocator(d.ctx, d.file, d.f, d.a, ts)
	if d.l.kind == kindPT2 {
		loc.pt2(d.l.root, d.l.models[i])
	} else {
		for _, name := range []string{"serialized_state_dict.json", "serialized_state_dict.pt", "serialized_constants.json", "serialized_constants.pt"} {
			if f := d.a.Lookup(d.l.root + name); f != nil {
				loc.torchSave(f)
			}
		}
	}
	d.warnings = append(d.warnings, loc.warn...)
}

// facts are the structured metadata of the summary.
func (d *decoder) facts(ep *exportedProgram) map[string]any {
	f := map[string]any{"archive": d.l.kind}
	versionEntry := "version"
	if d.l.kind == kindPT2 {
		versionEntry = "archive_version"
		f["models"] = d.l.models
	}
	v := readSmall(d.a, d.l.root+versionEntry)
	if v == "" && d.l.kind == kindPT2 {
		v = readSmall(d.a, d.l.root+".data/version")
	}
	if v != "" {
		f["archive_version"] = v
	}
	if v, ok := schemaVersion(ep.SchemaVersion); ok {
		f["schema_version"] = v
	}
	if ep.OpsetVersion != nil {
		f["opset_version"] = ep.OpsetVersion
	}
	if ep.TorchVersion != nil {
		f["torch_version"] = *ep.TorchVersion
	}
	return f
}

// properties are the model panel's facts.
func (d *decoder) properties(ep *exportedProgram, s *sig) []model.Property {
	ps := []model.Property{{Name: "archive", Value: d.l.kind}}
	if len(d.l.models) > 1 {
		ps = append(ps, model.Property{Name: "programs", Value: strings.Join(d.l.models, ", ")})
	}
	if ep.Dialect != nil {
		ps = append(ps, model.Property{Name: "dialect", Value: *ep.Dialect})
	}
	for _, k := range sortedKeys(ep.RangeConstraints) {
		ps = append(ps, model.Property{Name: "range " + k, Value: clip(string(ep.RangeConstraints[k]), 128)})
	}
	if len(d.l.aoti) > 0 {
		ps = append(ps, model.Property{Name: "AOTInductor artifacts", Value: fmt.Sprint(len(d.l.aoti))})
	}
	return append(ps, s.other...)
}

// aotiModel describes an AOTInductor package without a program: its
// compiled artifacts, no graph.
func (d *decoder) aotiModel() *model.Model {
	g := &model.Graph{Name: "AOTInductor package", Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	m := &model.Model{Format: "pt2", Producer: "AOTInductor", Graph: g,
		Facts: map[string]any{"archive": d.l.kind, "models": []string{}}}
	if v := readSmall(d.a, d.l.root+"archive_version"); v != "" {
		m.Facts["archive_version"] = v
	}
	m.Properties = []model.Property{{Name: "archive", Value: "AOTInductor package"}}
	for _, f := range d.l.aoti {
		m.Properties = append(m.Properties, model.Property{Name: strings.TrimPrefix(f.Name, d.l.root), Value: fmt.Sprintf("%d bytes", f.UncompressedSize64)})
		if len(m.Properties) > 64 {
			break
		}
	}
	m.Warnings = []string{"this AOTInductor package holds compiled code only (no models/*.json program): there is no graph to show"}
	return m
}

// maxOtherPrograms bounds how many further programs of a multi-model
// archive are decoded (as functions beside the main graph).
const maxOtherPrograms = 16

// otherPrograms decodes the programs of a multi-model archive other than
// main, each as a graph named after its model; one that does not decode
// becomes a warning.
func (d *decoder) otherPrograms(main int) []*model.Graph {
	var gs []*model.Graph
	for i, f := range d.l.entries {
		if i == main {
			continue
		}
		if len(gs) == maxOtherPrograms {
			d.warnings = append(d.warnings, fmt.Sprintf("only %d of the other programs are shown", maxOtherPrograms))
			break
		}
		ep, err := readProgram(d.a, f)
		var g *model.Graph
		if err == nil {
			g, _, err = mainGraph(ep)
		}
		if err != nil {
			d.warnings = append(d.warnings, fmt.Sprintf("program %s: %v", d.l.models[i], err))
			continue
		}
		g.Name = d.l.models[i]
		gs = append(gs, g)
	}
	return gs
}
