package executorch

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// Limits on what one file may declare.
const (
	maxPlans  = 10_000
	maxRank   = 64
	maxList   = 1 << 24
	maxAttrs  = 1024
	maxDigits = 20
)

// decoder turns one ExecuTorch program into the model IR.
type decoder struct {
	flatbuf.Reader
	ctx  context.Context
	path string
	// base and end bound the program's bytes in the file: the whole file,
	// or the program vector of a bundled program.
	base, end int64
	// segBase is the absolute offset of the first segment (extended
	// header), -1 without an extended header.
	segBase int64
	prog    flatbuf.Table
	// segStart/nSegs locate Program.segments; named maps named_data keys
	// to segment indices.
	segStart, nSegs int64
	named           map[string]int64
	warnings        []string
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// decodeProgram decodes the program flatbuffer at base (size bytes long);
// extra facts (from a bundled program) are merged into the model's facts.
func (d *decoder) decodeProgram(base, size int64, extra map[string]any) (*model.Model, error) {
	d.base, d.end, d.segBase = base, base+size, -1
	if id := d.Bytes(base+4, 4); !isProgramID(id) {
		return nil, fmt.Errorf("not an ExecuTorch program: the file identifier is %q, expected \"ET12\"", id)
	}
	hasHeader := d.readExtendedHeader()
	prog, ok := d.Root(base)
	if !ok {
		return nil, d.wrap("program")
	}
	d.prog = prog
	d.segStart, d.nSegs = d.TableVector(prog, programSegments)
	d.readNamedData()
	if d.Err != nil {
		return nil, d.wrap("program header")
	}
	plans, err := d.decodePlans()
	if err != nil {
		return nil, err
	}
	m := &model.Model{
		Format:               "executorch",
		Version:              itoa(int64(d.Uint32(prog, programVersion, 0))),
		Metadata:             map[string]string{},
		FunctionsInNodeCount: true,
	}
	main := mainPlan(plans)
	if main >= 0 {
		m.Graph = plans[main].g
		for i, p := range plans {
			if i != main {
				m.Functions = append(m.Functions, p.g)
			}
		}
	} else {
		m.Graph = &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	}
	d.programFacts(m, plans, hasHeader)
	for k, v := range extra {
		m.Facts[k] = v
	}
	m.Warnings = d.warnings
	if d.Err != nil {
		return nil, d.wrap("program")
	}
	return m, nil
}

func (d *decoder) wrap(what string) error {
	if d.Err == flatbuf.ErrBudget {
		return d.Err
	}
	return fmt.Errorf("%s: %w", what, d.Err)
}

// readExtendedHeader reads the "eh00" header at bytes 8..: its length,
// the program size and the segment base offset. It reports whether bytes
// 8..10 hold "eh".
func (d *decoder) readExtendedHeader() bool {
	h, err := d.Src.At(d.base+8, 24)
	if err != nil || string(h[:2]) != "eh" {
		return false
	}
	if string(h[:4]) != "eh00" || binary.LittleEndian.Uint32(h[4:]) < 24 {
		d.warnings = append(d.warnings, fmt.Sprintf("unknown extended header %q: segments cannot be located", h[:4]))
		return true
	}
	off := binary.LittleEndian.Uint64(h[16:])
	if off > uint64(d.end-d.base) {
		d.warnings = append(d.warnings, fmt.Sprintf("the extended header puts segments at offset %d, past the end of the program", off))
		return true
	}
	d.segBase = d.base + int64(off)
	return true
}

func (d *decoder) readNamedData() {
	start, n := d.TableVector(d.prog, programNamedData)
	if !d.Charge(n) {
		return
	}
	d.named = make(map[string]int64, n)
	for i := int64(0); i < n; i++ {
		t, ok := d.Elem(start, i)
		if !ok {
			return
		}
		d.named[d.Str(t, namedKey)] = int64(d.Uint32(t, namedSegment, 0))
	}
}

// namedKeys returns Program.named_data keys in file order.
func (d *decoder) namedKeys() []string {
	keys := []string{}
	start, n := d.TableVector(d.prog, programNamedData)
	for i := int64(0); i < n && d.Err == nil; i++ {
		if t, ok := d.Elem(start, i); ok {
			keys = append(keys, d.Str(t, namedKey))
		}
	}
	return keys
}

func (d *decoder) decodePlans() ([]*plan, error) {
	start, n := d.TableVector(d.prog, programPlans)
	if d.Err != nil {
		return nil, d.wrap("execution plans")
	}
	if n > maxPlans {
		return nil, fmt.Errorf("the program declares %d execution plans (limit %d)", n, maxPlans)
	}
	plans := make([]*plan, 0, n)
	for i := int64(0); i < n; i++ {
		if err := d.ctx.Err(); err != nil {
			return nil, err
		}
		pt, ok := d.Elem(start, i)
		if !ok {
			return nil, d.wrap(fmt.Sprintf("execution plan %d", i))
		}
		p, err := d.decodePlan(pt)
		if err != nil {
			return nil, fmt.Errorf("execution plan %d (%q): %w", i, p.name, err)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// mainPlan is the plan named "forward", else the first; -1 when none.
func mainPlan(plans []*plan) int {
	for i, p := range plans {
		if p.name == "forward" {
			return i
		}
	}
	if len(plans) == 0 {
		return -1
	}
	return 0
}

// programFacts fills the structured facts and panel properties.
func (d *decoder) programFacts(m *model.Model, plans []*plan, hasHeader bool) {
	methods, backends := []string{}, []string{}
	nodes := map[string]any{}
	for _, p := range plans {
		methods = append(methods, p.name)
		nodes[p.name] = p.instructions
		for _, b := range p.backends {
			if !slices.Contains(backends, b) {
				backends = append(backends, b)
			}
		}
	}
	slices.Sort(backends)
	m.Facts = map[string]any{
		"version":          d.Uint32(d.prog, programVersion, 0),
		"methods":          methods,
		"backends":         backends,
		"segments":         d.nSegs,
		"constant_buffers": d.constantBufferCount(),
		"extended_header":  hasHeader,
		"method_nodes":     nodes,
		"named_data":       d.namedKeys(),
		"bundled":          false,
	}
	m.Properties = append(m.Properties,
		model.Property{Name: "schema version", Value: m.Version},
		model.Property{Name: "methods", Value: fmt.Sprint(methods)},
		model.Property{Name: "segments", Value: itoa(d.nSegs)},
	)
	if len(backends) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "backends", Value: fmt.Sprint(backends)})
	}
	if d.segBase >= 0 {
		m.Properties = append(m.Properties, model.Property{Name: "segment base offset", Value: itoa(d.segBase - d.base)})
	}
}

// constantBufferCount is the number of constant_segment.offsets entries
// when that vector is present, else of constant_buffer.
func (d *decoder) constantBufferCount() int64 {
	if cs, ok := d.Sub(d.prog, programConstSegment); ok && d.Has(cs, subsegOffsets) {
		_, n := d.Vector(cs, subsegOffsets, 8)
		return n
	}
	_, n := d.TableVector(d.prog, programConstantBuffer)
	return n
}

// segment returns the absolute offset and size of segment i, checked
// against the program's bytes.
func (d *decoder) segment(i int64) (int64, int64, error) {
	if i < 0 || i >= d.nSegs {
		return 0, 0, fmt.Errorf("refers to segment %d but the program has %d", i, d.nSegs)
	}
	if d.segBase < 0 {
		return 0, 0, fmt.Errorf("refers to segment %d but the file has no extended header to place segments", i)
	}
	t, ok := d.Elem(d.segStart, i)
	if !ok {
		return 0, 0, d.wrap(fmt.Sprintf("segment %d", i))
	}
	off, size := d.Uint64(t, segmentOffset), d.Uint64(t, segmentSize)
	room := uint64(d.end - d.segBase)
	if off > room || size > room-off {
		return 0, 0, fmt.Errorf("segment %d (%d bytes at offset %d) lies outside the file", i, size, off)
	}
	return d.segBase + int64(off), int64(size), nil
}
