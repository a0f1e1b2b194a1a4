// Package pytorch decodes PyTorch files into the model IR: torch.save zip
// archives (state dicts, checkpoints, whole pickled modules), the legacy
// non-zip torch.save format, TorchScript archives (torch.jit.save), and
// plain pickles. Pickles are read as inert data by model/internal/pickle:
// class references are shown as text and nothing is ever executed. Tensor
// bytes are located in the file, never read.
package pytorch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
	"github.com/modelpeek/modelpeek/model/pt2"
)

// legacyMagic is the first pickle of a legacy torch.save file: protocol 2,
// LONG1 of the 10-byte magic number 0x1950a86a20f9469cfc6c, STOP.
var legacyMagic = []byte("\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.")

// Format returns the registry entry for PyTorch files.
func Format() model.Format {
	return model.Format{
		Name:       "pytorch",
		Extensions: []string{".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle", ".ptl"},
		Detect:     Detect,
		DetectFile: func(path string, head []byte, _ int64) model.Confidence {
			return llm.DetectConfig("pytorch", path, head)
		},
		DetectDir: func(dir string) model.Confidence { return llm.DetectDir("pytorch", dir) },
		Open:      Open,
	}
}

// Detect recognises torch zip archives by their entry names, the legacy
// format by its magic pickle, and other pickles (protocol 2 and up)
// plausibly.
func Detect(head []byte, size int64) model.Confidence {
	switch {
	case ziputil.IsZip(head):
		if pt2.IsExportArchive(head) {
			return model.No // a torch.export archive: model/pt2 reads it
		}
		if isTorchEntry(ziputil.FirstName(head)) || bytes.Contains(head, []byte("/data.pkl")) {
			return model.Strong
		}
		return model.No
	case bytes.HasPrefix(head, legacyMagic):
		return model.Strong
	case len(head) >= 3 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5 && isOpcodeStart(head[2]):
		return model.Plausible
	}
	return model.No
}

// isOpcodeStart accepts the opcodes a real pickle begins with after PROTO.
func isOpcodeStart(b byte) bool {
	return strings.IndexByte("}]()cK\x8c\x95\x8aNX\x80q", b) >= 0 || b == 0x93
}

// isTorchEntry reports whether a zip entry name is one torch.save or
// torch.jit.save writes ("<root>/data.pkl", "<root>/data/0", ...).
func isTorchEntry(name string) bool {
	_, rest, ok := strings.Cut(name, "/")
	if !ok {
		return false
	}
	for _, p := range []string{"data.pkl", "data/", "code/", "constants.pkl", "constants/", ".data/", "byteorder"} {
		if rest == p || strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}

// Open decodes the PyTorch file at path.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("pytorch: internal error while reading this file: %v", p)
		}
	}()
	if llm.IsConfigPath(path) {
		return openConfig(ctx, path)
	}
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, model.SniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, err
	}
	head = head[:n]
	switch {
	case ziputil.IsZip(head):
		f.Close()
		return openZip(ctx, path)
	case bytes.HasPrefix(head, legacyMagic):
		defer f.Close()
		return openLegacy(ctx, f, size, path)
	case len(head) >= 2 && head[0] == 0x80:
		defer f.Close()
		return openPlainPickle(ctx, f, size, path)
	}
	f.Close()
	return nil, errors.New("not a PyTorch file (neither a zip archive nor a pickle)")
}
