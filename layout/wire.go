package layout

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
)

// WireMagic starts every compact view (see EncodeWire).
const WireMagic = "MPW1"

// WireContentType is the media type of a compact view.
const WireContentType = "application/vnd.modelpeek.view"

// EncodeWire writes v in the compact wire form the page decodes
// (assets/web/js/wire.js) instead of the view JSON: the same fields, but
// strings once in a table and numbers in little-endian columns, so that a
// 100,000-node view gzipped is a quarter of its JSON gzipped (1.5 MB, not
// 6) and decodes without an object per number. The layout (all integers little-endian):
//
//	"MPW1", uint32 header length, header JSON, zero padding to 8 bytes,
//	int32 columns, zero padding to 8 bytes, the coordinate columns,
//	the string table.
//
// The header holds the view without nodes, edges and groups ("view"), the
// counts ("nodes", "edges", "groups", "lines", "points", "strings",
// "stringBytes": the UTF-8 bytes of all strings), "scale" and "extras".
// The string table is every string's uint32 byte length, then the
// strings' bytes back to back; string 0 is "". The page decodes a string
// only when it is read, so the many it never shows cost it nothing.
//
// Every int32 stored is the difference from the int32 before it (the
// columns are one sequence of deltas, wrapping around; a running sum
// restores them), which gzip packs much tighter. The int32 columns, in
// order, each as long as its count: node id, kind, label, name, category,
// group, source (string indexes), index, subgraphs, count, line start
// (nodes+1 offsets into the lines column); lines (string indexes); edge
// from, to (the node's position in nodes when it is one, else -1-string
// index), value, label, dtype (string indexes), point start (edges+1
// offsets into the points column, counting numbers); group id, label,
// parent (string indexes), collapsed (0 or 1), count.
//
// The coordinate columns: node x, y, w, h; edge points; group x, y, w, h.
// With "scale" s > 0 they are int32 holding the value times s (every
// coordinate was such a multiple), each stored as the difference from the
// one two places before it (x and y alternate in the routes) in a
// sequence of their own; with scale 0 they are float64 as they are.
//
// Fields of Node, Edge and Group the columns do not hold (added to the
// view later) travel in "extras": {"nodes": {"<json name>": {"i": [list
// positions], "v": [values]}}, "edges": …, "groups": …}, non-zero values
// only; so the wire form always carries the whole view.
func EncodeWire(v *View) ([]byte, error) {
	p, err := prepareWire(v)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, p.size()))
	if err := p.write(buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteWire writes v to w in the form EncodeWire returns, a piece at a
// time: a big view (a 500,000-node graph's is over 100 MB) is never
// whole in memory when w compresses it.
func WriteWire(w io.Writer, v *View) error {
	p, err := prepareWire(v)
	if err != nil {
		return err
	}
	return p.write(w)
}

// wireParts is a view ready to be written: its header, int32 columns,
// coordinate scale and string table.
type wireParts struct {
	v     *View
	e     wireEncoder
	hj    []byte
	ints  []int32
	scale int
	hdr   *wireHeader
}

func prepareWire(v *View) (*wireParts, error) {
	p := &wireParts{v: v}
	e := &p.e
	e.table = valueTable{idx: make(map[string]int32, 2*len(v.Nodes)+len(v.Edges))}
	e.str("") // strings[0] is ""
	hdr, err := e.header(v)
	if err != nil {
		return nil, err
	}
	p.ints = e.intColumns(v)
	p.scale = coordScale(v)
	hdr.Scale = p.scale
	hdr.Strings = len(e.table.names)
	for _, s := range e.table.names {
		hdr.StringBytes += len(s)
	}
	e.table.idx = nil // the strings are all in; only their order is needed
	if p.hj, err = json.Marshal(hdr); err != nil {
		return nil, fmt.Errorf("wire header: %w", err)
	}
	p.hdr = hdr
	return p, nil
}

// size is the length of the encoded view (an upper bound by padding).
func (p *wireParts) size() int {
	v := p.v
	return 8 + len(p.hj) + 16 + 4*len(p.ints) + 8*(4*len(v.Nodes)+p.hdr.Points+4*len(v.Groups)) + 4*len(p.e.table.names) + p.hdr.StringBytes
}

// write writes the parts in order through a small buffer.
func (p *wireParts) write(w io.Writer) error {
	s := &wireSink{w: w, b: make([]byte, 0, wireChunk+64)}
	s.b = append(s.b, WireMagic...)
	s.b = binary.LittleEndian.AppendUint32(s.b, uint32(len(p.hj)))
	s.raw(p.hj)
	s.pad8()
	s.deltas(p.ints)
	s.pad8()
	s.coordinates(p.v, p.scale)
	p.e.strings(s)
	return s.flush()
}

// wireChunk is how many bytes wireSink gathers before writing them.
const wireChunk = 64 << 10

// wireSink gathers bytes and writes them to w a chunk at a time; the
// first write error sticks.
type wireSink struct {
	w   io.Writer
	b   []byte
	n   int // bytes written to w
	err error
}

// full writes the buffer out once it holds a chunk.
func (s *wireSink) full() {
	if len(s.b) >= wireChunk {
		s.flush()
	}
}

func (s *wireSink) flush() error {
	if s.err == nil && len(s.b) > 0 {
		_, s.err = s.w.Write(s.b)
		s.n += len(s.b)
	}
	s.b = s.b[:0]
	return s.err
}

// raw appends b, a chunk at a time.
func (s *wireSink) raw(b []byte) {
	for len(b) > 0 {
		k := min(len(b), cap(s.b)-len(s.b))
		s.b = append(s.b, b[:k]...)
		b = b[k:]
		s.full()
	}
}

// str appends str's bytes, a chunk at a time.
func (s *wireSink) str(str string) {
	for len(str) > 0 {
		k := min(len(str), cap(s.b)-len(s.b))
		s.b = append(s.b, str[:k]...)
		str = str[k:]
		s.full()
	}
}

// pad8 pads with zeros to a multiple of 8 bytes.
func (s *wireSink) pad8() {
	for (s.n+len(s.b))%8 != 0 {
		s.b = append(s.b, 0)
	}
}

// deltas appends ints, each as its difference from the one before.
func (s *wireSink) deltas(ints []int32) {
	prev := uint32(0)
	for _, x := range ints {
		s.b = binary.LittleEndian.AppendUint32(s.b, uint32(x)-prev)
		prev = uint32(x)
		s.full()
	}
}

// coordinates appends the coordinate columns: int32 multiples of scale,
// each the difference from the one two before, or float64.
func (s *wireSink) coordinates(v *View, scale int) {
	var prev2 [2]uint32 // x and y alternate in the routes
	k := 0
	appendCoords(v, scale, func(f float64) {
		if scale > 0 {
			x := uint32(int32(f * float64(scale)))
			s.b = binary.LittleEndian.AppendUint32(s.b, x-prev2[k&1])
			prev2[k&1] = x
			k++
		} else {
			s.b = binary.LittleEndian.AppendUint64(s.b, math.Float64bits(f))
		}
		s.full()
	})
}

// strings appends the string table: the uint32 byte length of each
// string, then their UTF-8 bytes one after the other.
func (e *wireEncoder) strings(s *wireSink) {
	for _, str := range e.table.names {
		s.b = binary.LittleEndian.AppendUint32(s.b, uint32(len(str)))
		s.full()
	}
	for _, str := range e.table.names {
		s.str(str)
	}
}

// wireHeader is the JSON part of a compact view.
type wireHeader struct {
	View        json.RawMessage            `json:"view"`
	Strings     int                        `json:"strings"`
	StringBytes int                        `json:"stringBytes"`
	Nodes       int                        `json:"nodes"`
	Edges       int                        `json:"edges"`
	Groups      int                        `json:"groups"`
	Lines       int                        `json:"lines"`
	Points      int                        `json:"points"`
	Scale       int                        `json:"scale"`
	Extras      map[string]json.RawMessage `json:"extras,omitempty"`
}

// wireEncoder builds the string table (the interning valueTable of
// build.go).
type wireEncoder struct {
	table valueTable
}

// str is the index of s in the string table.
func (e *wireEncoder) str(s string) int32 { return e.table.id(s) }

// header makes the header's view, counts and extras.
func (e *wireEncoder) header(v *View) (*wireHeader, error) {
	top := *v
	top.Nodes, top.Edges, top.Groups = nil, nil, nil
	vj, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("wire header: %w", err)
	}
	h := &wireHeader{View: vj, Nodes: len(v.Nodes), Edges: len(v.Edges), Groups: len(v.Groups)}
	for _, n := range v.Nodes {
		h.Lines += len(n.Lines)
	}
	for _, ed := range v.Edges {
		h.Points += len(ed.Points)
	}
	h.Extras = map[string]json.RawMessage{}
	for name, list := range map[string]any{"nodes": v.Nodes, "edges": v.Edges, "groups": v.Groups} {
		x, err := extras(reflect.ValueOf(list))
		if err != nil {
			return nil, err
		}
		if x != nil {
			h.Extras[name] = x
		}
	}
	return h, nil
}

// intColumns returns every int32 column, in the documented order.
func (e *wireEncoder) intColumns(v *View) []int32 {
	n, m, g := len(v.Nodes), len(v.Edges), len(v.Groups)
	cols := make([]int32, 0, 11*n+1+6*m+1+5*g)
	pos := make(map[string]int32, n)
	for i := range v.Nodes {
		pos[v.Nodes[i].ID] = int32(i)
	}
	nodeStr := []func(*Node) string{
		func(d *Node) string { return d.ID }, func(d *Node) string { return d.Kind },
		func(d *Node) string { return d.Label }, func(d *Node) string { return d.Name },
		func(d *Node) string { return d.Category }, func(d *Node) string { return d.Group },
		func(d *Node) string { return d.Source },
	}
	for _, f := range nodeStr {
		for i := range v.Nodes {
			cols = append(cols, e.str(f(&v.Nodes[i])))
		}
	}
	for _, f := range []func(*Node) int{
		func(d *Node) int { return d.Index }, func(d *Node) int { return d.Subgraphs }, func(d *Node) int { return d.Count },
	} {
		for i := range v.Nodes {
			cols = append(cols, int32(f(&v.Nodes[i])))
		}
	}
	cols = appendStarts(cols, n, func(i int) int { return len(v.Nodes[i].Lines) })
	for i := range v.Nodes {
		for _, l := range v.Nodes[i].Lines {
			cols = append(cols, e.str(l))
		}
	}
	return e.edgeGroupColumns(v, cols, pos, m, g)
}

// edgeGroupColumns appends the edge and group columns to cols.
func (e *wireEncoder) edgeGroupColumns(v *View, cols []int32, pos map[string]int32, m, g int) []int32 {
	end := func(id string) int32 {
		if i, ok := pos[id]; ok {
			return i
		}
		return -1 - e.str(id)
	}
	for i := range v.Edges {
		cols = append(cols, end(v.Edges[i].From))
	}
	for i := range v.Edges {
		cols = append(cols, end(v.Edges[i].To))
	}
	for i := range v.Edges {
		cols = append(cols, e.str(v.Edges[i].Value))
	}
	for i := range v.Edges {
		cols = append(cols, e.str(v.Edges[i].Label))
	}
	for i := range v.Edges {
		cols = append(cols, e.str(v.Edges[i].DType))
	}
	cols = appendStarts(cols, m, func(i int) int { return len(v.Edges[i].Points) })
	for _, f := range []func(*Group) int32{
		func(d *Group) int32 { return e.str(d.ID) }, func(d *Group) int32 { return e.str(d.Label) },
		func(d *Group) int32 { return e.str(d.Parent) },
		func(d *Group) int32 {
			if d.Collapsed {
				return 1
			}
			return 0
		},
		func(d *Group) int32 { return int32(d.Count) },
	} {
		for i := range v.Groups {
			cols = append(cols, f(&v.Groups[i]))
		}
	}
	return cols
}

// appendStarts appends n+1 running offsets: 0, len(0), len(0)+len(1), ….
func appendStarts(cols []int32, n int, length func(int) int) []int32 {
	at := int32(0)
	cols = append(cols, 0)
	for i := 0; i < n; i++ {
		at += int32(length(i))
		cols = append(cols, at)
	}
	return cols
}

// appendCoords calls put with every coordinate, in column order.
func appendCoords(v *View, scale int, put func(float64)) {
	for _, f := range []func(*Node) float64{
		func(d *Node) float64 { return d.X }, func(d *Node) float64 { return d.Y },
		func(d *Node) float64 { return d.W }, func(d *Node) float64 { return d.H },
	} {
		for i := range v.Nodes {
			put(f(&v.Nodes[i]))
		}
	}
	for i := range v.Edges {
		for _, p := range v.Edges[i].Points {
			put(p)
		}
	}
	for _, f := range []func(*Group) float64{
		func(d *Group) float64 { return d.X }, func(d *Group) float64 { return d.Y },
		func(d *Group) float64 { return d.W }, func(d *Group) float64 { return d.H },
	} {
		for i := range v.Groups {
			put(f(&v.Groups[i]))
		}
	}
}

// coordScale returns the smallest of 1, 2, 4, 8 whose multiples hold
// every coordinate exactly within int32, or 0 (send float64).
func coordScale(v *View) int {
	for _, s := range []int{1, 2, 4, 8} {
		ok := true
		appendCoords(v, s, func(f float64) {
			x := f * float64(s)
			if ok && (x != math.Trunc(x) || x > math.MaxInt32 || x < math.MinInt32) {
				ok = false
			}
		})
		if ok {
			return s
		}
	}
	return 0
}

// wireKnown are the JSON names of the fields the columns hold, by type.
var wireKnown = map[reflect.Type]string{
	reflect.TypeOf(Node{}):  "id kind label name category lines x y w h group index subgraphs source count",
	reflect.TypeOf(Edge{}):  "from to value label dtype points",
	reflect.TypeOf(Group{}): "id label parent collapsed count x y w h",
}

// extras collects the non-zero values of the fields of list's elements
// (a slice of Node, Edge or Group) that the columns do not hold: nil
// when there are none.
func extras(list reflect.Value) (json.RawMessage, error) {
	typ := list.Type().Elem()
	known := strings.Fields(wireKnown[typ])
	type sparse struct {
		I []int `json:"i"`
		V []any `json:"v"`
	}
	out := map[string]*sparse{}
	for f := 0; f < typ.NumField(); f++ {
		sf := typ.Field(f)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" {
			name = sf.Name
		}
		if !sf.IsExported() || name == "-" || containsStr(known, name) {
			continue
		}
		var s sparse
		for i := 0; i < list.Len(); i++ {
			fv := list.Index(i).Field(f)
			if !fv.IsZero() {
				s.I = append(s.I, i)
				s.V = append(s.V, fv.Interface())
			}
		}
		if len(s.I) > 0 {
			out[name] = &s
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("wire extras of %s: %w", typ.Name(), err)
	}
	return b, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
