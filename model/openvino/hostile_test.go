package openvino_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/openvino"
)

// openBytes writes data as model.xml (with a .bin when bin is not nil) in
// a fresh folder and opens it.
func openBytes(t testing.TB, data, bin []byte) (*model.Model, error) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.xml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if bin != nil {
		if err := os.WriteFile(filepath.Join(dir, "model.bin"), bin, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return openvino.Open(t.Context(), p)
}

func nestedBodies(n int) string {
	var sb strings.Builder
	sb.WriteString(`<net name="n" version="11">`)
	for range n {
		sb.WriteString(`<layers><layer id="0" name="ti" type="TensorIterator"><body>`)
	}
	sb.WriteString(`<layers/>`)
	for range n {
		sb.WriteString(`</body></layer></layers>`)
	}
	sb.WriteString(`</net>`)
	return sb.String()
}

// TestHostile opens crafted networks: each must be refused with an
// "openvino:" error or open with bounded work, without a panic.
func TestHostile(t *testing.T) {
	var attrs strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&attrs, ` a%d="1"`, i)
	}
	cases := map[string]string{
		"empty":            ``,
		"not xml":          `<net version="11"><layers>`,
		"other root":       `<?xml version="1.0"?><html><layers/></html>`,
		"no layers":        `<net version="11"/>`,
		"deep nesting":     `<net>` + strings.Repeat(`<a>`, 100000) + strings.Repeat(`</a>`, 100000) + `</net>`,
		"many attributes":  `<net version="11"><layers><layer` + attrs.String() + `/></layers></net>`,
		"nested bodies":    nestedBodies(80),
		"entity":           `<!DOCTYPE net [<!ENTITY a "aaaaaaaa">]><net version="11"><layers><layer name="&a;&a;"/></layers></net>`,
		"mismatched tags":  `<net version="11"><layers></net></layers>`,
		"huge const":       `<net version="11"><layers><layer id="0" name="w" type="Const"><data element_type="f32" shape="4611686018427387904,4" offset="9223372036854775807" size="9223372036854775807"/><output><port id="0"/></output></layer></layers></net>`,
		"negative const":   `<net version="11"><layers><layer id="0" name="w" type="Const"><data element_type="f32" shape="-4" offset="-8" size="-16"/></layer></layers></net>`,
		"rank 100000":      `<net version="11"><layers><layer id="0" name="x" type="Parameter"><data shape="` + strings.Repeat("1,", 100000) + `1" element_type="f32"/></layer></layers></net>`,
		"dangling edges":   `<net version="11"><layers><layer id="0" name="r" type="Result"><input><port id="0"/></input></layer></layers><edges><edge from-layer="99" from-port="7" to-layer="0" to-port="0"/><edge/></edges></net>`,
		"legacy blobs bad": `<net version="5"><layers><layer id="0" name="c" type="Convolution" precision="FP16"><blobs><weights offset="x" size="3"/><biases offset="0" size="3"/></blobs></layer></layers></net>`,
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			m, err := openBytes(t, []byte(data), []byte{1, 2, 3, 4})
			if err != nil && !strings.HasPrefix(err.Error(), "openvino: ") {
				t.Errorf("error %q does not name the format", err)
			}
			if err == nil && m.Graph == nil {
				t.Error("a model without a graph")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if err == nil {
				for _, x := range m.Graph.Initializers {
					if l := x.Location; l != nil && !l.Missing && (l.Offset < 0 || l.Length < 0 || l.Offset+l.Length > 4) {
						t.Errorf("weight %s located at %d+%d outside the 4-byte .bin", x.Name, l.Offset, l.Length)
					}
				}
			}
		})
	}
}

// TestMissingBin checks that a network without its .bin opens, with the
// weights marked missing and the file listed in missing_files.
func TestMissingBin(t *testing.T) {
	m, err := openBytes(t, []byte(`<net name="n" version="11"><layers><layer id="0" name="w" type="Const"><data element_type="f32" shape="2" offset="0" size="8"/><output><port id="0"/></output></layer></layers></net>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := m.Graph.Initializers[0].Location; l == nil || !l.Missing || l.Length != 8 {
		t.Errorf("location %+v, want a missing 8-byte range", l)
	}
	if got := m.Facts["missing_files"]; fmt.Sprint(got) != "[model.bin]" {
		t.Errorf("missing_files %v", got)
	}
}

// FuzzOpen opens mutated corpus networks.
func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "openvino") {
		if b, err := os.ReadFile(e.Abs()); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := openBytes(t, data, make([]byte, 1024))
		if err == nil && m.Graph == nil {
			t.Fatal("a model without a graph")
		}
	})
}
