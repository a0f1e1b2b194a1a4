package model

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// UnknownFormatError is what detection returns when no registered format
// recognises a file: it says what the file likely is, when that is known,
// and which formats modelpeek reads. errors.Is(err, ErrUnknownFormat)
// holds for it.
type UnknownFormatError struct {
	// Dir is set for a directory.
	Dir bool
	// Hint says what the file is, in words ("this is a text file"), or is
	// empty when nothing is known.
	Hint string
	// Supported lists the registered formats: "gguf, onnx".
	Supported string
}

func (e *UnknownFormatError) Error() string {
	var b strings.Builder
	if e.Dir {
		b.WriteString("a directory, not a model I know")
	} else {
		b.WriteString(ErrUnknownFormat.Error())
	}
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	if e.Supported != "" {
		b.WriteString("; modelpeek reads " + e.Supported)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnknownFormat) hold.
func (e *UnknownFormatError) Is(target error) bool { return target == ErrUnknownFormat }

// unknownFile describes a file that no registered format recognised.
func (r *Registry) unknownFile(name string, head []byte, size int64) error {
	return &UnknownFormatError{Hint: r.hintFile(name, head, size), Supported: r.supported()}
}

// unknownDir describes a directory that no registered format recognised.
func (r *Registry) unknownDir(dir string) error {
	return &UnknownFormatError{Dir: true, Hint: r.hintDir(dir), Supported: r.supported()}
}

// supported lists the registered formats by name, in registration order;
// with twenty formats, their extensions would make a message no one reads
// (the README lists them).
func (r *Registry) supported() string {
	parts := make([]string, 0, len(r.formats))
	for _, f := range r.formats {
		parts = append(parts, f.Name)
	}
	return strings.Join(parts, ", ")
}

// foreign is a model format modelpeek recognises but has no decoder for.
// Its hint is only given while no registered format carries one of its
// names or extensions: a registered decoder always wins over a hint.
type foreign struct {
	// what names the format for a user ("an ExecuTorch program").
	what string
	// names and exts are the registry names and file extensions a
	// decoder for it would register under (lower case).
	names, exts []string
	// file recognises a file by its base name (lower case) and first bytes.
	file func(name string, head []byte) bool
	// dir recognises a model directory.
	dir func(dir string) bool
}

// foreignFormats are the model formats hinted at, checked in order.
var foreignFormats = []foreign{
	{
		what:  "an ExecuTorch program (.pte)",
		names: []string{"executorch", "pte"},
		exts:  []string{".pte"},
		// A FlatBuffer whose file identifier (bytes 4..8) is "ET" and two
		// digits: the schema version ("ET12").
		file: func(_ string, head []byte) bool {
			return len(head) >= 8 && head[4] == 'E' && head[5] == 'T' && isDigit(head[6]) && isDigit(head[7])
		},
	},
	{
		what:  "a TensorFlow SavedModel",
		names: []string{"tensorflow", "savedmodel", "saved_model", "tf"},
		file:  func(name string, _ []byte) bool { return name == "saved_model.pb" },
		dir: func(dir string) bool {
			st, err := os.Stat(filepath.Join(dir, "saved_model.pb"))
			return err == nil && st.Mode().IsRegular()
		},
	},
	{
		what:  "a GGML model file from before GGUF (ggml, ggmf or ggjt)",
		names: []string{"ggml"},
		exts:  []string{".ggml"},
		// The old llama.cpp magics, written as little-endian uint32s.
		file: func(_ string, head []byte) bool {
			if len(head) < 4 {
				return false
			}
			m := string(head[:4])
			return m == "lmgg" || m == "fmgg" || m == "tjgg"
		},
	},
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hintFile says what a file that no registered format recognised likely
// is, or returns "" when nothing is known for sure.
func (r *Registry) hintFile(name string, head []byte, size int64) string {
	name = strings.ToLower(filepath.Base(name))
	for _, f := range foreignFormats {
		if f.file != nil && f.file(name, head) && !r.claims(f) {
			return "this looks like " + f.what + ", which modelpeek does not read yet"
		}
	}
	switch {
	case size == 0:
		return "the file is empty"
	case bytes.HasPrefix(head, []byte("version https://git-lfs.github.com/spec/")):
		return "this is a Git LFS pointer, not the model itself (fetch it with git lfs pull)"
	case isHTML(head):
		return "this is an HTML page, not a model (a download that went wrong?)"
	case isText(head):
		return "this is a text file"
	}
	return ""
}

// hintDir says what a directory that no registered format recognised
// likely holds, or returns "".
func (r *Registry) hintDir(dir string) string {
	for _, f := range foreignFormats {
		if f.dir != nil && f.dir(dir) && !r.claims(f) {
			return "this looks like " + f.what + ", which modelpeek does not read yet"
		}
	}
	return ""
}

// claims reports whether a registered format carries one of f's names or
// extensions.
func (r *Registry) claims(f foreign) bool {
	for _, g := range r.formats {
		if slices.Contains(f.names, strings.ToLower(g.Name)) {
			return true
		}
		for _, e := range g.Extensions {
			if slices.Contains(f.exts, strings.ToLower(e)) {
				return true
			}
		}
	}
	return false
}

// isHTML reports whether head starts (after white space) like an HTML
// document.
func isHTML(head []byte) bool {
	h := strings.ToLower(string(bytes.TrimLeft(head[:min(len(head), 64)], " \t\r\n\ufeff")))
	return strings.HasPrefix(h, "<!doctype html") || strings.HasPrefix(h, "<html")
}

// isText reports whether head is UTF-8 text: valid (a rune cut at the end
// of head aside), and free of control characters other than white space.
func isText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	for i := 0; i < len(head); {
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n <= 1 {
			if !utf8.FullRune(head[i:]) {
				break // cut by the sniff length
			}
			return false
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != '\f' || r == 0x7f {
			return false
		}
		i += n
	}
	return true
}
