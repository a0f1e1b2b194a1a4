package pt2

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

// Archive kinds, as the archive metadata fact spells them.
const (
	kindPT2  = "pt2"
	kindSave = "torch.export.save"
)

// Entry sizes read whole: programs and their JSON configs, and the tiny
// version entries.
const (
	maxProgram = 512 << 20
	maxConfig  = 64 << 20
	maxSmall   = 256
	// maxJSONRatio is the highest compression ratio accepted for a
	// program: JSON deflates about tenfold.
	maxJSONRatio = 100
)

// oldProgram is the program entry of the earlier torch.export.save zip.
const oldProgram = "serialized_exported_program.json"

// layout is what an archive holds: its kind, root directory ("package/",
// or "" for entries at the top) and programs.
type layout struct {
	kind string
	root string
	// models are the program names of a PT2 archive ("model" for
	// models/model.json), in archive order; entries the program entries.
	models  []string
	entries []*zip.File
	// aoti lists AOTInductor artifacts (data/aotinductor/...).
	aoti []*zip.File
}

// findLayout recognises the PT2 archive (archive_format entry) and the
// earlier torch.export.save zip (serialized_exported_program.json).
func findLayout(a *ziputil.Archive) (*layout, error) {
	for _, f := range a.Files() {
		dir, base := path.Split(f.Name)
		if strings.Count(dir, "/") > 1 {
			continue
		}
		switch base {
		case "archive_format":
			return pt2Layout(a, dir)
		case oldProgram:
			return &layout{kind: kindSave, root: dir, entries: []*zip.File{f}}, nil
		}
	}
	return nil, errors.New("this zip archive has neither an archive_format entry nor " + oldProgram + ": it is not a torch.export archive")
}

func pt2Layout(a *ziputil.Archive, root string) (*layout, error) {
	l := &layout{kind: kindPT2, root: root}
	for _, f := range a.Files() {
		rest, ok := strings.CutPrefix(f.Name, root)
		if !ok {
			continue
		}
		if name, ok := strings.CutPrefix(rest, "models/"); ok && strings.HasSuffix(name, ".json") && !strings.Contains(name, "/") {
			l.models = append(l.models, strings.TrimSuffix(name, ".json"))
			l.entries = append(l.entries, f)
		}
		if strings.HasPrefix(rest, "data/aotinductor/") && !strings.HasSuffix(rest, "/") {
			l.aoti = append(l.aoti, f)
		}
	}
	if len(l.entries) == 0 && len(l.aoti) == 0 {
		return nil, errors.New("this PT2 archive holds no program (no models/*.json and no AOTInductor artifacts)")
	}
	return l, nil
}

// main returns the index of the program shown: "model" when present, else
// the first.
func (l *layout) main() int {
	for i, m := range l.models {
		if m == "model" {
			return i
		}
	}
	return 0
}

// readSmall returns a short text entry under the root, trimmed, or "".
func readSmall(a *ziputil.Archive, name string) string {
	f := a.Lookup(name)
	if f == nil {
		return ""
	}
	b, err := a.ReadFile(f, maxSmall)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// readProgram decodes a program entry.
func readProgram(a *ziputil.Archive, f *zip.File) (*exportedProgram, error) {
	if f.Method != zip.Store && f.UncompressedSize64/max(f.CompressedSize64, 1) > maxJSONRatio {
		return nil, fmt.Errorf("%s claims to compress %d bytes into %d, more than JSON does (zip bomb?)", f.Name, f.UncompressedSize64, f.CompressedSize64)
	}
	data, err := a.ReadFile(f, maxProgram)
	if err != nil {
		return nil, err
	}
	var ep exportedProgram
	if err := json.Unmarshal(data, &ep); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if ep.GraphModule.Graph.Nodes == nil && ep.GraphModule.Graph.TensorValues == nil {
		return nil, fmt.Errorf("%s holds no graph", f.Name)
	}
	return &ep, nil
}
