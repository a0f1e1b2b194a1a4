// Package pt2 decodes torch.export archives into the model IR: the PT2
// archive (archive_format "pt2", models/<name>.json, weights under
// data/weights/ and data/constants/), the earlier torch.export.save zip
// (serialized_exported_program.json with an embedded torch.save state
// dict), and AOTInductor packages (data/aotinductor/). The program is the
// ExportedProgram JSON of torch/_export/serde/schema.py; its graph nodes
// become model nodes named by their targets, higher-order operators'
// graph arguments become subgraphs, and parameters, buffers and tensor
// constants become initializers whose bytes are located in the archive,
// never read.
package pt2

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

// Format returns the registry entry for torch.export archives.
func Format() model.Format {
	return model.Format{
		Name:       "pt2",
		Extensions: []string{".pt2"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises a torch.export archive by the entry names visible in
// the first bytes of the zip.
func Detect(head []byte, size int64) model.Confidence {
	if IsExportArchive(head) {
		return model.Strong
	}
	return model.No
}

// IsExportArchive reports whether head (the start of a file) is a zip
// whose leading entries are those of a torch.export archive: an
// archive_format entry, serialized_exported_program.json, or entries under
// models/ or data/{weights,constants,aotinductor,sample_inputs}/ of a PT2
// archive (torch.save writes no folders under data/). model/pytorch uses
// it to leave these archives alone.
func IsExportArchive(head []byte) bool {
	for _, name := range headNames(head, 16) {
		if isExportEntry(name) {
			return true
		}
	}
	return false
}

// pt2Dirs are folders only a PT2 archive has, below its root.
var pt2Dirs = []string{"models/", "data/weights/", "data/constants/", "data/aotinductor/", "data/sample_inputs/"}

func isExportEntry(name string) bool {
	if rootless(name) {
		return true
	}
	root, rest, ok := strings.Cut(name, "/")
	if !ok {
		return name == oldProgram || name == "archive_format"
	}
	return root != "" && (rest == oldProgram || rest == "archive_format" || underPT2Dir(rest))
}

// rootless recognises entries of a PT2 archive written without a root
// folder. It is stricter than underPT2Dir: a torch.save or TorchScript
// archive whose root folder is named "data" or "models" (saved as data.pt)
// holds "data/constants/0", "models/data.pkl", ...
func rootless(name string) bool {
	if m, ok := strings.CutPrefix(name, "models/"); ok {
		return strings.HasSuffix(m, ".json") && !strings.Contains(m, "/")
	}
	for _, d := range []string{"data/weights/", "data/aotinductor/", "data/sample_inputs/"} {
		if strings.HasPrefix(name, d) && len(name) > len(d) {
			return true
		}
	}
	return false
}

func underPT2Dir(rest string) bool {
	for _, d := range pt2Dirs {
		if strings.HasPrefix(rest, d) && len(rest) > len(d) {
			return true
		}
	}
	return false
}

// headNames returns the names of the local entry headers found in head
// (at most max). Headers are found by their signature rather than by
// following sizes, because torch's zip writer puts the sizes in data
// descriptors after the data.
func headNames(head []byte, max int) []string {
	var names []string
	for off := 0; len(names) < max; {
		i := bytes.Index(head[off:], []byte("PK\x03\x04"))
		if i < 0 {
			break
		}
		h := head[off+i:]
		off += i + 4
		if len(h) < 30 {
			break
		}
		n := int(binary.LittleEndian.Uint16(h[26:]))
		if 30+n <= len(h) && n > 0 {
			names = append(names, string(h[30:30+n]))
		}
	}
	return names
}

// Open decodes the archive at path.
func Open(ctx context.Context, file string) (*model.Model, error) {
	f, size, err := model.OpenFile(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeReader(ctx, f, size, file)
}

// decodeReader decodes the archive held by ra (size bytes); file names it
// in weight locations.
func decodeReader(ctx context.Context, ra io.ReaderAt, size int64, file string) (*model.Model, error) {
	a, err := ziputil.NewReader(ra, size, ziputil.DefaultLimits())
	if err != nil {
		return nil, fmt.Errorf("pt2: %w", err)
	}
	l, err := findLayout(a)
	if err != nil {
		return nil, fmt.Errorf("pt2: %w", err)
	}
	d := &decoder{ctx: ctx, file: file, f: ra, a: a, l: l}
	m, err := d.decode()
	if err != nil {
		return nil, fmt.Errorf("pt2: %w", err)
	}
	return m, nil
}
