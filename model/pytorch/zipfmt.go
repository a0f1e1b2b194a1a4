package pytorch

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
	"github.com/modelpeek/modelpeek/model/internal/pickle"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

// maxPickle is the largest data.pkl/constants.pkl read (they hold structure
// only; storages live in separate entries).
const maxPickle = 256 << 20

// archive is an opened torch zip with its root directory ("name/").
type archive struct {
	*ziputil.Archive
	root      string
	bigEndian bool
}

func (a *archive) entry(name string) *zip.File { return a.Lookup(a.root + name) }

// read returns a small entry's bytes, or nil when it is absent.
func (a *archive) read(name string, max int64) ([]byte, error) {
	f := a.entry(name)
	if f == nil {
		return nil, nil
	}
	return a.ReadFile(f, max)
}

// locator finds storages under dir ("data/" or "constants/").
func (a *archive) locator(dir string) locateFunc {
	return func(s *storageRef) (storageLoc, bool) {
		f := a.entry(dir + s.key)
		if f == nil {
			return storageLoc{}, false
		}
		if off, n, ok := a.StoredRange(f); ok {
			return storageLoc{offset: off, length: n, raw: true, bigEndian: a.bigEndian}, true
		}
		off, _ := f.DataOffset()
		return storageLoc{offset: off, length: int64(f.UncompressedSize64)}, true
	}
}

func openZip(ctx context.Context, file string) (*model.Model, error) {
	za, err := ziputil.Open(file, ziputil.DefaultLimits())
	if err != nil {
		return nil, err
	}
	defer za.Close()
	a := &archive{Archive: za}
	// The root is the directory holding data.pkl; torch names it after the
	// file ("archive/" in newer versions).
	best := -1
	for _, f := range za.Files() {
		dir, base := path.Split(f.Name)
		if base != "data.pkl" || strings.Count(dir, "/") > 1 {
			continue
		}
		if best < 0 || len(dir) < best {
			best, a.root = len(dir), dir
		}
	}
	if best < 0 {
		return nil, errors.New("this zip archive has no data.pkl: it is not a PyTorch file")
	}
	if bo, _ := a.read("byteorder", 16); strings.TrimSpace(string(bo)) == "big" {
		a.bigEndian = true
	}
	version := ""
	for _, name := range []string{"version", ".data/version"} {
		if v, _ := a.read(name, 64); v != nil {
			version = strings.TrimSpace(string(v))
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := a.read("data.pkl", maxPickle)
	if err != nil {
		return nil, fmt.Errorf("read data.pkl: %w", err)
	}
	res, err := pickle.DecodeContext(ctx, data, 0, pickle.DefaultLimits())
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	isScript := false
	for _, f := range za.Files() {
		if strings.HasPrefix(f.Name, a.root+"code/") || f.Name == a.root+"constants.pkl" {
			isScript = true
			break
		}
	}
	var m *model.Model
	if isScript {
		m, err = scriptModel(ctx, a, res, file)
		if err != nil {
			return nil, err
		}
	} else {
		m = pickleModel(res, &converter{file: file, locate: a.locator("data/"), byStorage: map[string][]string{}})
	}
	m.Version = version
	m.Properties = append([]model.Property{{Name: "container", Value: "zip archive, root " + strings.TrimSuffix(a.root, "/")}}, m.Properties...)
	flagCalls(m, res.Calls)
	return m, nil
}

// safeCalls are the callables torch.save itself writes (or that only
// rebuild plain containers): loading them runs no foreign code.
var safeCalls = map[string]bool{
	"collections.OrderedDict": true, "builtins.set": true, "__builtin__.set": true, "builtins.frozenset": true,
	"__builtin__.frozenset": true, "builtins.dict": true, "builtins.list": true, "builtins.tuple": true,
	"builtins.bytearray": true, "__builtin__.bytearray": true, "builtins.slice": true, "builtins.complex": true,
	"_codecs.encode": true, "torch.Size": true, "torch.device": true, "numpy.dtype": true,
	"numpy.core.multiarray._reconstruct": true, "numpy.core.multiarray.scalar": true,
	"numpy._core.multiarray._reconstruct": true, "numpy._core.multiarray.scalar": true,
}

// flagCalls warns about every callable a Python loader would call that is
// not one torch.save writes: a pickle that runs code when loaded.
func flagCalls(m *model.Model, calls []string) {
	var bad []string
	for _, c := range calls {
		if safeCalls[c] || strings.HasPrefix(c, "torch._utils._rebuild_") || strings.HasPrefix(c, "torch._tensor._rebuild_") ||
			strings.HasPrefix(c, "torch.jit._pickle.") {
			continue
		}
		bad = append(bad, c)
	}
	if len(bad) == 0 {
		return
	}
	m.Properties = append(m.Properties, model.Property{Name: "would run on torch.load", Value: strings.Join(bad, ", ")})
	m.Warnings = append(m.Warnings, fmt.Sprintf("this pickle asks Python to call %s when it is loaded "+
		"(torch.load with weights_only=False would run it); modelpeek only shows the reference", strings.Join(bad, ", ")))
}

// pickleModel builds the model of a torch.save pickle.
func pickleModel(res *pickle.Result, conv *converter) *model.Model {
	w := newWalker()
	w.walk(res.Value, "", 0)
	g := pickleGraph(w, conv)
	kind := "pickled value"
	switch {
	case len(w.modules) > 0 && w.modules[0].path == "":
		kind = "whole pickled module (" + w.modules[0].class + ")"
	case isStateDict(res.Value):
		kind = "state dict"
	case len(w.tensors) > 0:
		kind = "checkpoint"
	}
	m := &model.Model{
		Format:   "pytorch",
		Producer: "PyTorch",
		Graph:    g,
		Metadata: valueMetadata(w.values),
		Properties: []model.Property{
			{Name: "content", Value: kind},
			{Name: "python type", Value: pickle.TypeName(res.Value)},
			{Name: "pickle protocol", Value: fmt.Sprint(res.Proto)},
			globalsProperty(res.Globals),
		},
		Warnings: append(w.warnings, conv.warnings...),
	}
	if len(w.modules) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "modules", Value: fmt.Sprint(len(w.modules))})
	}
	switch {
	case kind == "state dict":
		stateDictGraph(m, conv.file)
	case len(w.modules) > 0:
		moduleGraph(m, conv.file)
	case len(g.Initializers) > 0:
		m.Properties = append(m.Properties, model.Property{Name: "graph", Value: llm.WeightsOnlyNote})
	}
	return m
}

// isStateDict reports whether the top value is a flat mapping of names to
// tensors.
func isStateDict(v pickle.Value) bool {
	d, ok := v.(*pickle.Dict)
	if !ok || d.Len() == 0 {
		return false
	}
	if d.Class == "collections.OrderedDict" {
		return true
	}
	n := 0
	for _, x := range d.Values {
		if o, ok := x.(*pickle.Object); ok && isRebuild(o.Class()) {
			n++
		}
	}
	return 2*n >= d.Len()
}
