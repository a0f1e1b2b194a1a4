package executorch

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
)

// decodeBundled opens a bundled program (.bpte): its test suites, and the
// program it embeds, which every other fact describes.
func (d *decoder) decodeBundled() (*model.Model, error) {
	bt, ok := d.Root(0)
	if !ok {
		return nil, d.wrap("bundled program")
	}
	version := d.Uint32(bt, bundledVersion, 0)
	suites := []string{}
	start, n := d.TableVector(bt, bundledSuites)
	if !d.Charge(n) {
		return nil, d.wrap("bundled program test suites")
	}
	for i := int64(0); i < n; i++ {
		st, ok := d.Elem(start, i)
		if !ok {
			return nil, d.wrap(fmt.Sprintf("test suite %d", i))
		}
		suites = append(suites, d.Str(st, suiteMethod))
	}
	pstart, psize := d.Vector(bt, bundledProgram, 1)
	if d.Err != nil {
		return nil, d.wrap("bundled program")
	}
	if psize < 16 {
		return nil, fmt.Errorf("the bundled program embeds a %d-byte program, too short for an ExecuTorch program", psize)
	}
	m, err := d.decodeProgram(pstart, psize, map[string]any{
		"bundled":         true,
		"bundled_version": version,
		"test_suites":     suites,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded program: %w", err)
	}
	m.Properties = append(m.Properties,
		model.Property{Name: "bundled program version", Value: itoa(int64(version))},
		model.Property{Name: "test suites", Value: fmt.Sprint(suites)},
		model.Property{Name: "embedded program", Value: fmt.Sprintf("%d bytes at offset %d", psize, pstart)})
	return m, nil
}
