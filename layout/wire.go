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
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// WireMagic starts every compact view (see EncodeWire).
const WireMagic = "MPW3"

// WireStringBlock is how many strings of a compact view's string table
// the page decodes at once.
const WireStringBlock = 1024

// WireContentType is the media type of a compact view.
const WireContentType = "application/vnd.modelpeek.view"

// EncodeWire writes v in the compact wire form the page decodes
// (assets/web/js/wire.js) instead of the view JSON: the same fields, but
// strings once in a table and numbers in little-endian columns, so that a
// 100,000-node view gzipped is a quarter of its JSON gzipped (1.5 MB, not
// 6) and decodes without an object per number. The layout (all integers little-endian):
//
//	"MPW3", uint32 header length, header JSON, zero padding to 8 bytes,
//	int32 columns, zero padding to 8 bytes, the coordinate columns,
//	the string table.
//
// The header holds the view without nodes, edges and groups ("view"), the
// counts ("nodes", "edges", "groups", "lines", "points", "strings",
// "stringBytes": the UTF-8 bytes of all the strings' suffixes), "scale"
// and "extras". The strings are front-coded: each string but the first of
// a block (WireStringBlock of them, "stringBlock") is the first p UTF-16
// code units of the string before it (p at most 255, cut between
// characters) followed by its own suffix; names that share their path
// with the one before, as a model's names do, travel once (10.3 MB of a
// 100,000-node view's text became 2.9 MB, the bytes the browser receives
// and holds). The string table is every string's suffix's uint32 length
// in UTF-16 code units (JavaScript's string length), then the uint32
// byte offset of every block's first suffix in the text and the text's
// length, then the suffixes' UTF-8 bytes back to back, then every
// string's p as one byte; string 0 is "". The page decodes a block's
// text in one call when one of its strings is first read and cuts each
// suffix out of it: a first drawing reads few of a big view's strings. A
// string that is not valid UTF-8 travels with each bad byte as U+FFFD, as
// in the view JSON.
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
	// prefix and cut are each string's shared prefix (shared), units its
	// suffix's length in UTF-16 code units (textTable).
	prefix []uint8
	cut    []uint16
	units  []uint32
}

// prepareWire builds everything of v's compact form but its bytes: the
// string table, the int32 columns, the coordinate scale and the header.
func prepareWire(v *View) (*wireParts, error) {
	p := &wireParts{v: v}
	e := &p.e
	// Every node adds its ID and name, every value its name, without a
	// lookup (fresh): room for them up front, where growing the table
	// step by step was a third of the encoding of a 500,000-node view.
	e.table = valueTable{idx: map[string]int32{}, names: make([]string, 0, 2*len(v.Nodes)+len(v.Edges)+len(v.Groups)+1)}
	// The coordinates' scale (a pass over every coordinate) is found
	// alongside the string table and the columns, which it does not touch.
	scale := make(chan int, 1)
	go func() { scale <- coordScale(v) }()
	e.table.id("") // strings[0] is "" (str answers 0 for it)
	hdr, err := e.header(v)
	if err != nil {
		<-scale
		return nil, err
	}
	p.ints = e.intColumns(v, hdr.Lines)
	p.scale = <-scale
	hdr.Scale = p.scale
	hdr.Strings = len(e.table.names)
	hdr.StringBlock = WireStringBlock
	p.prefix, p.cut, p.units, hdr.StringBytes = textTable(e.table.names)
	// The strings are all in: only their order is needed from here.
	e.table.idx, e.groups, e.values, e.byName, e.pos = nil, nil, nil, nil, nil
	if p.hj, err = json.Marshal(hdr); err != nil {
		return nil, fmt.Errorf("wire header: %w", err)
	}
	p.hdr = hdr
	return p, nil
}

// size is the length of the encoded view (an upper bound by padding).
func (p *wireParts) size() int {
	v := p.v
	return 8 + len(p.hj) + 16 + 4*len(p.ints) + 8*(4*len(v.Nodes)+p.hdr.Points+4*len(v.Groups)) + 5*len(p.e.table.names) + 4*stringBlocks(len(p.e.table.names)) + p.hdr.StringBytes
}

// write writes the parts in order through a small buffer.
func (p *wireParts) write(w io.Writer) error {
	s := &wireSink{w: w, b: make([]byte, 0, wireChunk+64)}
	s.b = append(s.b, WireMagic...)
	s.b = binary.LittleEndian.AppendUint32(s.b, uint32(len(p.hj)))
	s.str(string(p.hj)) // the header: a few hundred bytes
	s.pad8()
	s.deltas(p.ints)
	s.pad8()
	s.coordinates(p.v, p.scale)
	p.strings(s)
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

// flush writes out what the buffer holds and returns the first error.
func (s *wireSink) flush() error {
	if s.err == nil && len(s.b) > 0 {
		_, s.err = s.w.Write(s.b)
		s.n += len(s.b)
	}
	s.b = s.b[:0]
	return s.err
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

// strings appends the string table: the uint32 UTF-16 length of each
// string's suffix, the uint32 byte offsets of the blocks (stringBlocks of
// them), the suffixes' UTF-8 bytes one after the other, then each
// string's prefix length.
func (p *wireParts) strings(s *wireSink) {
	names := p.e.table.names
	for _, u := range p.units {
		s.b = binary.LittleEndian.AppendUint32(s.b, u)
		s.full()
	}
	off := 0
	for i, str := range names {
		if i%WireStringBlock == 0 {
			s.b = binary.LittleEndian.AppendUint32(s.b, uint32(off))
		}
		off += len(str) - int(p.cut[i])
	}
	s.b = binary.LittleEndian.AppendUint32(s.b, uint32(off))
	for i, str := range names {
		s.str(str[p.cut[i]:])
	}
	for _, n := range p.prefix {
		s.b = append(s.b, n)
		s.full()
	}
}

// maxPrefix is the longest prefix a string takes from the one before, in
// UTF-16 code units (it is stored in a byte).
const maxPrefix = 255

// shared is how much valid UTF-8 b takes from a, the string before it in
// the same block (textTable's front coding): in UTF-16 code units (what
// the page slices), at most maxPrefix, and in bytes (where b's suffix
// starts), ending between characters.
func shared(a, b string) (units uint8, bytes uint16) {
	n := 0
	ascii := true
	for n < len(a) && n < len(b) && n < 4*maxPrefix && a[n] == b[n] {
		ascii = ascii && a[n] < utf8.RuneSelf
		n++
	}
	if ascii { // one unit and one byte per character, all boundaries
		n = min(n, maxPrefix)
		return uint8(n), uint16(n)
	}
	// Back to a character boundary of both strings (their bytes before n
	// are the same).
	for n > 0 && (n < len(a) && !utf8.RuneStart(a[n]) || n < len(b) && !utf8.RuneStart(b[n])) {
		n--
	}
	u, k := 0, 0
	for _, r := range b[:n] {
		w := utf16.RuneLen(r)
		if u+w > maxPrefix {
			break
		}
		u += w
		k += utf8.RuneLen(r)
	}
	return uint8(u), uint16(k)
}

// textTable makes the string table's text in one pass over names, each
// name compared with the one before while both are still in the cache
// (three passes, each reading every name's bytes again, were a sixth of
// a 500,000-node view's encoding): it makes every name valid UTF-8 in
// place (validString), front-codes it (shared's prefix and cut),
// and returns each suffix's length in UTF-16 code units and the
// suffixes' total bytes.
func textTable(names []string) (prefix []uint8, cut []uint16, units []uint32, size int) {
	prefix, cut, units = make([]uint8, len(names)), make([]uint16, len(names)), make([]uint32, len(names))
	for i, s := range names {
		if !utf8.ValidString(s) {
			s = validString(s)
			names[i] = s
		}
		if i%WireStringBlock != 0 {
			prefix[i], cut[i] = shared(names[i-1], s)
		}
		suffix := s[cut[i]:]
		units[i] = uint32(utf16Len(suffix))
		size += len(suffix)
	}
	return prefix, cut, units, size
}

// stringBlocks is the number of block offsets of a table of n strings:
// one per block and the end.
func stringBlocks(n int) int { return (n+WireStringBlock-1)/WireStringBlock + 1 }

// utf16Len is the length of valid UTF-8 s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x80, c >= 0xC0 && c < 0xF0: // ASCII, or a 2- or 3-byte lead
			n++
		case c >= 0xF0: // a 4-byte lead: a surrogate pair
			n += 2
		}
	}
	return n
}

// validString is s with every byte that is not part of valid UTF-8
// replaced by U+FFFD (encoding/json's rule, as in the view JSON).
func validString(s string) string {
	var b strings.Builder
	for j := 0; j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		b.WriteRune(r) // utf8.RuneError for a bad byte (size 1)
		j += size
	}
	return b.String()
}

// wireHeader is the JSON part of a compact view.
type wireHeader struct {
	View        json.RawMessage            `json:"view"`
	Strings     int                        `json:"strings"`
	StringBytes int                        `json:"stringBytes"`
	StringBlock int                        `json:"stringBlock"`
	Nodes       int                        `json:"nodes"`
	Edges       int                        `json:"edges"`
	Groups      int                        `json:"groups"`
	Lines       int                        `json:"lines"`
	Points      int                        `json:"points"`
	Scale       int                        `json:"scale"`
	Extras      map[string]json.RawMessage `json:"extras,omitempty"`
}

// wireEncoder builds the string table: strings that repeat (kinds,
// labels, shapes) interned in a small table, those that are (nearly) all
// different (node IDs and names, group IDs) added without a lookup, and
// value names through the layout's own value index. A lookup in a table
// of hundreds of thousands of strings costs a cache miss each: at 100,000
// nodes it was most of the encoding's time.
type wireEncoder struct {
	table  valueTable
	groups map[string]int32 // group ID → string index
	values []int32          // View.values index → string index + 1
	byName map[string]int32 // value name → string index, without the index
	pos    map[string]int32 // node ID → position, made only when needed
	// seen remembers the string index of recently encoded strings by
	// where their bytes are (see str); seenGroup likewise for group.
	seen, seenGroup [memoSlots]memoSlot
}

// memoSlots is the size of the encoder's memos of recent strings.
const memoSlots = 512

// memoSlot is one remembered string: its bytes' address and length, and
// its string index.
type memoSlot struct {
	p  *byte
	n  int
	id int32
}

// memo returns the slot of m where s is remembered or would be. A view's
// strings repeat as shared values (op types, categories, data types,
// shape labels, group IDs are a handful of strings, each held once and
// referred to by every node or edge that has it), so the address of a
// string's bytes names it: while the view is alive, no other string can
// have the same address and length but other bytes. Found by address,
// the table's lookups in a 100,000-node view's encoding fell from 0.34
// to 0.10 s of CPU over 21 encodes (the int32 columns: 1.52 to 1.32 s).
func memo(m *[memoSlots]memoSlot, s string) (*memoSlot, bool) {
	p := unsafe.StringData(s)
	slot := &m[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(s)))%memoSlots]
	return slot, p != nil && slot.p == p && slot.n == len(s)
}

// str is the index of s in the string table.
func (e *wireEncoder) str(s string) int32 {
	if s == "" {
		return 0 // strings[0]
	}
	slot, ok := memo(&e.seen, s)
	if ok {
		return slot.id
	}
	id := e.table.id(s)
	*slot = memoSlot{unsafe.StringData(s), len(s), id}
	return id
}

// fresh adds s to the string table without looking for it there.
func (e *wireEncoder) fresh(s string) int32 {
	if s == "" {
		return 0
	}
	e.table.names = append(e.table.names, s)
	return int32(len(e.table.names) - 1)
}

// group is the index of group ID id ("" for none).
func (e *wireEncoder) group(id string) int32 {
	if id == "" {
		return 0 // top level: strings[0]
	}
	slot, ok := memo(&e.seenGroup, id)
	if ok {
		return slot.id
	}
	i, ok := e.groups[id]
	if !ok {
		i = e.str(id)
	}
	*slot = memoSlot{unsafe.StringData(id), len(id), i}
	return i
}

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

// intColumns returns every int32 column, in the documented order; lines
// is how many text lines the nodes have.
func (e *wireEncoder) intColumns(v *View, lines int) []int32 {
	n, m, g := len(v.Nodes), len(v.Edges), len(v.Groups)
	cols := make([]int32, 11*n+1+lines, 11*n+1+lines+6*m+1+5*g)
	e.groups = make(map[string]int32, g)
	for i := range v.Groups {
		e.groups[v.Groups[i].ID] = e.fresh(v.Groups[i].ID)
	}
	e.nodeColumns(v, cols)
	cols = e.edgeColumns(v, cols)
	return e.groupColumns(v, cols)
}

// nodeColumns fills the node columns and the lines column (cols, sized
// for them) in five passes over the nodes, not one per column (eleven):
// IDs with the numbers and the line starts, kinds with labels, names,
// categories with groups and sources, then lines. The passes keep the
// string table's runs (IDs, names, then each column's new strings) in
// the order a pass per column made, so that front coding, which shares a
// name's prefix with the name before it, is as good: one pass for all
// made a 500,000-node default view's compact form 18% bigger.
func (e *wireEncoder) nodeColumns(v *View, cols []int32) {
	n := len(v.Nodes)
	col := func(k int) []int32 { return cols[k*n : (k+1)*n] }
	ids, kinds, labels, names, cats, groups, sources := col(0), col(1), col(2), col(3), col(4), col(5), col(6)
	index, subgraphs, count := col(7), col(8), col(9)
	starts, text := cols[10*n:11*n+1], cols[11*n+1:]
	at := 0
	for i := range v.Nodes {
		d := &v.Nodes[i]
		ids[i] = e.fresh(d.ID)
		index[i], subgraphs[i], count[i] = int32(d.Index), int32(d.Subgraphs), int32(d.Count)
		starts[i] = int32(at)
		at += len(d.Lines)
	}
	starts[n] = int32(at)
	for i := range v.Nodes {
		kinds[i], labels[i] = e.str(v.Nodes[i].Kind), e.str(v.Nodes[i].Label)
	}
	for i := range v.Nodes {
		names[i] = e.fresh(v.Nodes[i].Name)
	}
	for i := range v.Nodes {
		d := &v.Nodes[i]
		cats[i], groups[i], sources[i] = e.str(d.Category), e.group(d.Group), e.str(d.Source)
	}
	at = 0
	for i := range v.Nodes {
		for _, l := range v.Nodes[i].Lines {
			text[at] = e.str(l)
			at++
		}
	}
}

// end is an edge end's column value: the node's position, when it is a
// node (as the layout recorded it, pos+1, or by its ID), else -1-string
// index.
func (e *wireEncoder) end(v *View, id string, pos int32) int32 {
	if pos > 0 && int(pos) <= len(v.Nodes) && v.Nodes[pos-1].ID == id {
		return pos - 1
	}
	if e.pos == nil {
		e.pos = make(map[string]int32, len(v.Nodes))
		for i := range v.Nodes {
			e.pos[v.Nodes[i].ID] = int32(i)
		}
	}
	if i, ok := e.pos[id]; ok {
		return i
	}
	return -1 - e.str(id)
}

// value is the string index of an edge's value name: each name once,
// apart from the other strings, found by the layout's value index or,
// for a view without one (decoded from JSON, edited), by name, so that
// both give the same bytes.
func (e *wireEncoder) value(v *View, ed *Edge) int32 {
	k := int(ed.val) - 1
	if k < 0 || k >= len(v.values) || v.values[k] != ed.Value {
		if ed.Value == "" {
			return 0
		}
		if e.byName == nil {
			e.byName = map[string]int32{}
		}
		i, ok := e.byName[ed.Value]
		if !ok {
			i = e.fresh(ed.Value)
			e.byName[ed.Value] = i
		}
		return i
	}
	if e.values == nil {
		e.values = make([]int32, len(v.values))
	}
	if e.values[k] == 0 { // the layout's value names are all different
		e.values[k] = e.fresh(ed.Value) + 1
	}
	return e.values[k] - 1
}

// edgeColumns appends the edge columns to cols.
func (e *wireEncoder) edgeColumns(v *View, cols []int32) []int32 {
	// One pass over the edges fills the ends, the values and the point
	// starts (as nodeColumns); a second the labels and data types, whose
	// new strings would otherwise come between the value names in the
	// string table and break their shared prefixes (3% more gzip at 10k).
	m, at := len(v.Edges), len(cols)
	cols = cols[:at+6*m+1]
	col := func(k int) []int32 { return cols[at+k*m : at+(k+1)*m] }
	from, to, value, label, dtype := col(0), col(1), col(2), col(3), col(4)
	starts := cols[at+5*m:]
	points := 0
	for i := range v.Edges {
		ed := &v.Edges[i]
		from[i], to[i] = e.end(v, ed.From, ed.from), e.end(v, ed.To, ed.to)
		value[i] = e.value(v, ed)
		starts[i] = int32(points)
		points += len(ed.Points)
	}
	starts[m] = int32(points)
	for i := range v.Edges {
		label[i], dtype[i] = e.str(v.Edges[i].Label), e.str(v.Edges[i].DType)
	}
	return cols
}

// groupColumns appends the group columns to cols.
func (e *wireEncoder) groupColumns(v *View, cols []int32) []int32 {
	for _, f := range []func(*Group) int32{
		func(d *Group) int32 { return e.groups[d.ID] }, func(d *Group) int32 { return e.str(d.Label) },
		func(d *Group) int32 { return e.group(d.Parent) },
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
// every coordinate exactly within int32, or 0 (send float64), in one pass.
func coordScale(v *View) int {
	// A multiple of 1/s is one of 1/2s: the scale only grows, and the
	// range is checked at the end with the largest coordinate.
	scale, most := 1, 0.0
	appendCoords(v, 0, func(f float64) {
		most = max(most, math.Abs(f))
		for scale != 0 {
			x := f * float64(scale)
			if x == math.Trunc(x) {
				return
			}
			if scale *= 2; scale > 8 {
				scale = 0
			}
		}
	})
	if most*float64(scale) > math.MaxInt32 || math.IsNaN(most) {
		return 0
	}
	return scale
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
