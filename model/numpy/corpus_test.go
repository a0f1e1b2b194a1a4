package numpy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// manifestArray is one array's facts in MANIFEST.json.
type manifestArray struct {
	Version  string          `json:"npy_version"`
	DType    string          `json:"dtype"`
	Descr    json.RawMessage `json:"dtype_descr"`
	Shape    []int64         `json:"shape"`
	Fortran  bool            `json:"fortran_order"`
	Offset   int64           `json:"data_offset"`
	ItemSize *int64          `json:"itemsize"`
	Size     *int64          `json:"size"`
}

type manifestEntry struct {
	Path  string `json:"path"`
	Facts struct {
		Kind       string                   `json:"kind"`
		Arrays     map[string]manifestArray `json:"arrays"`
		ZipEntries []string                 `json:"zip_entries"`
		Compressed bool                     `json:"compressed"`
		Valid      *bool                    `json:"valid"`
	} `json:"facts"`
}

func loadManifest(t testing.TB) (string, []manifestEntry) {
	t.Helper()
	dir := testenv.Corpus(t)
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	var out []manifestEntry
	for _, raw := range all {
		var head struct{ Format string }
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Fatal(err)
		}
		if head.Format != "numpy" {
			continue
		}
		var e manifestEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		t.Fatal("no numpy files in the manifest")
	}
	return dir, out
}

// descrText renders a manifest dtype_descr as NumPy prints a descr: a
// string as is, a field list as [('x', '<f4'), ...].
func descrText(t *testing.T, raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var fields [][]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatalf("descr %s: %v", raw, err)
	}
	var parts []string
	for _, f := range fields {
		var name string
		if err := json.Unmarshal(f[0], &name); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("('%s', '%s')", name, descrText(t, f[1])))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// wantDType is the IR dtype for a manifest dtype: numpy's name, also for
// big-endian numbers, whose byte order goes to the Location instead.
func wantDType(t *testing.T, a manifestArray) (model.DType, bool) {
	switch a.DType {
	case ">i4":
		return "int32", true
	}
	if strings.HasPrefix(a.DType, "[") {
		return model.DType(descrText(t, a.Descr)), false
	}
	return model.DType(a.DType), false
}

func TestCorpus(t *testing.T) {
	dir, entries := loadManifest(t)
	for _, e := range entries {
		t.Run(e.Path, func(t *testing.T) {
			path := filepath.Join(dir, e.Path)
			r := &model.Registry{}
			r.Register(Format())
			m, err := r.Open(context.Background(), path)
			if e.Facts.Valid != nil && !*e.Facts.Valid {
				if err == nil {
					t.Fatal("invalid file opened")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := model.Summarize(m)
			if len(sum.Tensors) != len(e.Facts.Arrays) {
				t.Fatalf("%d tensors, manifest has %d arrays", len(sum.Tensors), len(e.Facts.Arrays))
			}
			byName := map[string]*model.Tensor{}
			for _, tt := range m.Graph.Initializers {
				byName[tt.Name] = tt
			}
			members := zipOffsets(t, path)
			for key, a := range e.Facts.Arrays {
				name := key
				if e.Facts.Kind == "npy" {
					name = strings.TrimSuffix(filepath.Base(path), ".npy")
				}
				tt := byName[name]
				if tt == nil {
					t.Fatalf("array %q missing (have %v)", name, slices.Collect(mapKeys(byName)))
				}
				dt, big := wantDType(t, a)
				if tt.DType != dt || !slices.Equal(tt.Shape, a.Shape) {
					t.Errorf("%q: %s %v, want %s %v", name, tt.DType, tt.Shape, dt, a.Shape)
				}
				extra := map[string]string{}
				for _, p := range tt.Extra {
					extra[p.Name] = p.Value
				}
				if extra["npy version"] != a.Version || extra["descr"] != descrText(t, a.Descr) {
					t.Errorf("%q: extra %v, want version %s descr %s", name, extra, a.Version, descrText(t, a.Descr))
				}
				if (extra["order"] != "") != a.Fortran {
					t.Errorf("%q: fortran order %q, want %v", name, extra["order"], a.Fortran)
				}
				l := tt.Location
				if l == nil {
					t.Fatalf("%q: no location", name)
				}
				switch {
				case e.Facts.Compressed:
					if l.Encoding != model.EncOpaque {
						t.Errorf("%q: deflated member with encoding %q", name, l.Encoding)
					}
				default:
					wantOff := a.Offset + members[name+".npy"]
					if l.Offset != wantOff {
						t.Errorf("%q: offset %d, want %d", name, l.Offset, wantOff)
					}
					if a.ItemSize != nil && l.Length != *a.ItemSize**a.Size {
						t.Errorf("%q: length %d, want %d×%d", name, l.Length, *a.ItemSize, *a.Size)
					}
					wantEnc := model.EncRaw
					switch {
					case big:
						wantEnc = model.EncRawBigEndian
					case strings.ContainsAny(string(dt), "<>|[") || (a.Fortran && len(a.Shape) > 1):
						wantEnc = model.EncOpaque
					}
					if l.Encoding != wantEnc {
						t.Errorf("%q: encoding %q, want %q", name, l.Encoding, wantEnc)
					}
				}
			}
		})
	}
}

// zipOffsets returns the data offset of every member of the zip at path,
// computed with archive/zip independently of the decoder; nil for .npy.
func zipOffsets(t *testing.T, path string) map[string]int64 {
	out := map[string]int64{}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return out
	}
	defer zr.Close()
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = off
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
