package layout

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/modelpeek/modelpeek/model"
)

// wireReader reads a compact view the way assets/web/js/wire.js does,
// into the generic form json.Unmarshal gives the view JSON.
type wireReader struct {
	ints   []int32
	coords []float64
	strs   []string
}

// decodeWire decodes b into a map shaped like the view JSON.
func decodeWire(b []byte) (map[string]any, error) {
	if len(b) < 8 || string(b[:4]) != WireMagic {
		return nil, errors.New("no wire magic")
	}
	hl := int(binary.LittleEndian.Uint32(b[4:]))
	if 8+hl > len(b) {
		return nil, errors.New("header past the end")
	}
	var h wireHeader
	if err := json.Unmarshal(b[8:8+hl], &h); err != nil {
		return nil, err
	}
	at := (8 + hl + 7) &^ 7
	nInts := 11*h.Nodes + 1 + h.Lines + 5*h.Edges + h.Edges + 1 + 5*h.Groups
	nCoords := 4*h.Nodes + h.Points + 4*h.Groups
	var r wireReader
	sum := uint32(0)
	for i := 0; i < nInts; i++ {
		sum += binary.LittleEndian.Uint32(b[at+4*i:])
		r.ints = append(r.ints, int32(sum))
	}
	at = (at + 4*nInts + 7) &^ 7
	var sum2 [2]uint32
	for i := 0; i < nCoords; i++ {
		if h.Scale > 0 {
			sum2[i&1] += binary.LittleEndian.Uint32(b[at+4*i:])
			r.coords = append(r.coords, float64(int32(sum2[i&1]))/float64(h.Scale))
		} else {
			r.coords = append(r.coords, math.Float64frombits(binary.LittleEndian.Uint64(b[at+8*i:])))
		}
	}
	if h.Scale > 0 {
		at += 4 * nCoords
	} else {
		at += 8 * nCoords
	}
	if h.StringBlock != WireStringBlock {
		return nil, fmt.Errorf("string block %d", h.StringBlock)
	}
	blocks := at + 4*h.Strings
	text := blocks + 4*stringBlocks(h.Strings)
	prefixes := text + h.StringBytes
	if prefixes+h.Strings != len(b) {
		return nil, fmt.Errorf("strings end at %d of %d bytes", prefixes+h.Strings, len(b))
	}
	// As wire.js: each block's text decoded at once, cut at UTF-16 offsets,
	// each string its prefix from the one before and its suffix.
	for blk := 0; blk*h.StringBlock < h.Strings; blk++ {
		from := int(binary.LittleEndian.Uint32(b[blocks+4*blk:]))
		to := int(binary.LittleEndian.Uint32(b[blocks+4*blk+4:]))
		if from > to || text+to > len(b) {
			return nil, fmt.Errorf("block %d spans bytes %d to %d of %d", blk, from, to, h.StringBytes)
		}
		all := utf16.Encode([]rune(string(b[text+from : text+to])))
		off := 0
		for i := blk * h.StringBlock; i < min(h.Strings, (blk+1)*h.StringBlock); i++ {
			n := int(binary.LittleEndian.Uint32(b[at+4*i:]))
			if off+n > len(all) {
				return nil, fmt.Errorf("string %d ends at %d of %d UTF-16 units", i, off+n, len(all))
			}
			suffix := all[off : off+n]
			off += n
			p := int(b[prefixes+i])
			if p == 0 {
				r.strs = append(r.strs, string(utf16.Decode(suffix)))
				continue
			}
			prev := utf16.Encode([]rune(r.strs[len(r.strs)-1]))
			if i == blk*h.StringBlock || p > len(prev) {
				return nil, fmt.Errorf("string %d takes %d units from the one before (%d)", i, p, len(prev))
			}
			r.strs = append(r.strs, string(utf16.Decode(append(prev[:p:p], suffix...))))
		}
		if off != len(all) {
			return nil, fmt.Errorf("block %d's strings end at unit %d of %d", blk, off, len(all))
		}
	}
	if end := binary.LittleEndian.Uint32(b[text-4:]); int(end) != h.StringBytes {
		return nil, fmt.Errorf("the last block ends at %d of %d bytes", end, h.StringBytes)
	}
	var view map[string]any
	if err := json.Unmarshal(h.View, &view); err != nil {
		return nil, err
	}
	nodes, edges, groups := r.lists(h)
	for name, list := range map[string][]map[string]any{"nodes": nodes, "edges": edges, "groups": groups} {
		if err := applyExtras(h.Extras[name], list); err != nil {
			return nil, err
		}
		view[name] = list
	}
	return view, nil
}

// lists rebuilds the nodes, edges and groups from the columns.
func (r *wireReader) lists(h wireHeader) (nodes, edges, groups []map[string]any) {
	ic, cc := 0, 0
	col := func(n int) []int32 { c := r.ints[ic : ic+n]; ic += n; return c }
	coord := func(n int) []float64 { c := r.coords[cc : cc+n]; cc += n; return c }
	n, m, g := h.Nodes, h.Edges, h.Groups
	id, kind, label, name, cat, grp, src, index, subs, count := col(n), col(n), col(n), col(n), col(n), col(n), col(n), col(n), col(n), col(n)
	lstart, lines := col(n+1), col(h.Lines)
	from, to, value, elabel, dtype, pstart := col(m), col(m), col(m), col(m), col(m), col(m+1)
	gid, glabel, gparent, gcoll, gcount := col(g), col(g), col(g), col(g), col(g)
	x, y, w, hh := coord(n), coord(n), coord(n), coord(n)
	points := coord(h.Points)
	gx, gy, gw, gh := coord(g), coord(g), coord(g), coord(g)
	for i := 0; i < n; i++ {
		var ls []any
		for _, s := range lines[lstart[i]:lstart[i+1]] {
			ls = append(ls, r.strs[s])
		}
		nodes = append(nodes, map[string]any{"id": r.strs[id[i]], "kind": r.strs[kind[i]], "label": r.strs[label[i]], "name": r.strs[name[i]],
			"category": r.strs[cat[i]], "group": r.strs[grp[i]], "source": r.strs[src[i]], "index": float64(index[i]),
			"subgraphs": float64(subs[i]), "count": float64(count[i]), "lines": ls, "x": x[i], "y": y[i], "w": w[i], "h": hh[i]})
	}
	end := func(v int32) string {
		if v >= 0 {
			return nodes[v]["id"].(string)
		}
		return r.strs[-1-v]
	}
	for i := 0; i < m; i++ {
		var ps []any
		for _, p := range points[pstart[i]:pstart[i+1]] {
			ps = append(ps, p)
		}
		edges = append(edges, map[string]any{"from": end(from[i]), "to": end(to[i]), "value": r.strs[value[i]], "label": r.strs[elabel[i]], "dtype": r.strs[dtype[i]], "points": ps})
	}
	for i := 0; i < g; i++ {
		groups = append(groups, map[string]any{"id": r.strs[gid[i]], "label": r.strs[glabel[i]], "parent": r.strs[gparent[i]],
			"collapsed": gcoll[i] == 1, "count": float64(gcount[i]), "x": gx[i], "y": gy[i], "w": gw[i], "h": gh[i]})
	}
	return nodes, edges, groups
}

// applyExtras sets the extras' sparse fields on list's elements.
func applyExtras(raw json.RawMessage, list []map[string]any) error {
	if raw == nil {
		return nil
	}
	var x map[string]struct {
		I []int `json:"i"`
		V []any `json:"v"`
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		return err
	}
	for name, s := range x {
		for k, i := range s.I {
			list[i][name] = s.V[k]
		}
	}
	return nil
}

// viewJSON is v as the page gets it from the view JSON, with zero values
// dropped (the page reads a missing field and a zero one alike).
func viewJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return dropZero(m).(map[string]any)
}

// dropZero drops zero values from the maps inside x.
func dropZero(x any) any {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			v = dropZero(v)
			if v == nil || v == "" || v == 0.0 || v == false {
				delete(x, k)
				continue
			}
			if l, ok := v.([]any); ok && len(l) == 0 {
				delete(x, k)
				continue
			}
			x[k] = v
		}
	case []any:
		for i := range x {
			x[i] = dropZero(x[i])
		}
	case []map[string]any:
		var out []any
		for _, m := range x {
			out = append(out, dropZero(m))
		}
		return out
	}
	return x
}

// checkWire encodes v and checks the wire form decodes to v's JSON.
func checkWire(t *testing.T, what string, v *View) (wire, js int) {
	t.Helper()
	b, err := EncodeWire(v)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	got, err := decodeWire(b)
	if err != nil {
		t.Fatalf("%s: decode: %v", what, err)
	}
	want := viewJSON(t, v)
	if !reflect.DeepEqual(dropZero(got), want) {
		gb, _ := json.Marshal(dropZero(got))
		wb, _ := json.Marshal(want)
		t.Fatalf("%s: the wire form differs from the JSON:\nwire %.600s\njson %.600s", what, gb, wb)
	}
	raw, _ := json.Marshal(v)
	return len(b), len(raw)
}

// TestWireRoundTripCorpus checks, for every corpus ONNX graph laid out
// with groups collapsed and open, that the wire form holds the same view
// as the JSON.
func TestWireRoundTripCorpus(t *testing.T) {
	paths, graphs := corpusGraphs(t)
	for i, g := range graphs {
		for _, opts := range []Options{{}, {ExpandAll: true}} {
			checkWire(t, fmt.Sprintf("%s %+v", paths[i], opts), mustLayout(t, g, opts))
		}
	}
}

// TestWireSmallerThanJSON checks the wire form of a generated 10,000-node
// transformer round-trips and is smaller than the JSON, raw and gzipped.
func TestWireSmallerThanJSON(t *testing.T) {
	v := mustLayout(t, GenTransformer(10000), Options{ExpandAll: true})
	b, err := EncodeWire(v)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(v)
	checkWire(t, "transformer", v)
	gw, gj := gzipLen(b), gzipLen(raw)
	t.Logf("10k transformer: wire %d B (gzip %d), JSON %d B (gzip %d)", len(b), gw, len(raw), gj)
	if len(b) >= len(raw) || gw >= gj {
		t.Errorf("wire %d B (gzip %d) is not smaller than JSON %d B (gzip %d)", len(b), gw, len(raw), gj)
	}
}

func gzipLen(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

// TestWireFloatCoordinates checks that coordinates no small scale holds
// exactly travel as float64, and that edge ends which are no node's ID
// travel as strings.
func TestWireFloatCoordinates(t *testing.T) {
	v := &View{Width: 10.3, Height: 1e10,
		Nodes: []Node{{ID: "n0", Kind: KindOp, Label: "Conv", X: 1.0 / 3, Y: 1e10, W: 5, H: 6, Lines: []string{"W 1×2", "ünï"}, Index: 0}},
		Edges: []Edge{{From: "n0", To: "elsewhere", Points: []float64{0.1, 0.2, 3, 4}}},
	}
	if s := coordScale(v); s != 0 {
		t.Fatalf("scale %d for 1/3 and 1e10, want 0 (float64)", s)
	}
	checkWire(t, "floats", v)
	v.Nodes[0].X, v.Nodes[0].Y, v.Edges[0].Points = 0.25, 3, []float64{0.5, 1, 2, 3.75}
	if s := coordScale(v); s != 4 {
		t.Fatalf("scale %d for quarters, want 4", s)
	}
	checkWire(t, "quarters", v)
}

// TestWireExtras checks that fields the columns do not know travel in the
// extras: every field of a type without known fields does, non-zero only.
func TestWireExtras(t *testing.T) {
	type marked struct {
		ID   string  `json:"id"`
		Cost float64 `json:"cost,omitempty"`
		Mark string
		Hide int `json:"-"`
	}
	raw, err := extras(reflect.ValueOf([]marked{{ID: "a", Cost: 2}, {ID: "b", Mark: "x", Hide: 3}}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Mark":{"i":[1],"v":["x"]},"cost":{"i":[0],"v":[2]},"id":{"i":[0,1],"v":["a","b"]}}`
	if string(raw) != want {
		t.Errorf("extras %s, want %s", raw, want)
	}
	if raw, _ := extras(reflect.ValueOf([]Node{{ID: "n0", X: 3, Lines: []string{"a"}}})); raw != nil {
		t.Errorf("extras of a Node %s, want none: the columns hold every Node field", raw)
	}
	if raw, _ := extras(reflect.ValueOf([]Edge{{From: "n0", DType: "float32", Points: []float64{1, 2}}})); raw != nil {
		t.Errorf("extras of an Edge %s, want none: the columns hold every Edge field", raw)
	}
}

// FuzzWireRoundTrip lays out graphs of fuzzed sizes and checks the wire
// round trip.
func FuzzWireRoundTrip(f *testing.F) {
	f.Add(uint16(40), false)
	f.Add(uint16(300), true)
	f.Fuzz(func(t *testing.T, n uint16, all bool) {
		var g *model.Graph
		if n%2 == 0 {
			g = GenTransformer(int(n%2000) + 1)
		} else {
			g = GenResNet(int(n%2000) + 1)
		}
		checkWire(t, "generated", mustLayout(t, g, Options{ExpandAll: all}))
	})
}

// TestWireUnicode checks strings beyond ASCII: two- and three-byte
// characters, characters outside the BMP (two UTF-16 units each, which
// the page's offsets count) and bytes that are not UTF-8, which travel as
// U+FFFD each, as in the view JSON.
func TestWireUnicode(t *testing.T) {
	v := &View{
		Nodes: []Node{
			{ID: "n0", Kind: KindOp, Label: "Conv😀", Name: "a\xffb\xfe", Lines: []string{"ünï", "日本", "𝔘x"}},
			{ID: "n1", Kind: KindOp, Label: "\xe2\x82", Name: "😀😀", Group: "g/ü"},
		},
		Edges:  []Edge{{From: "n0", To: "n1", Value: "v\xc0", Label: "1×2"}},
		Groups: []Group{{ID: "g/ü", Label: "ü"}},
	}
	checkWire(t, "unicode", v)
	if n := utf16Len("a😀ü日"); n != 5 {
		t.Errorf("utf16Len = %d, want 5", n)
	}
}

// TestWireFrontCoding checks the string table's prefixes: names sharing
// a path travel as suffixes, a prefix ends between characters (two that
// differ in a continuation byte, a pair of UTF-16 units kept whole), is at
// most maxPrefix units long, and never crosses a block; every such view
// round-trips.
func TestWireFrontCoding(t *testing.T) {
	long := strings.Repeat("é", 300)
	names := []string{"", "/layer.0/attn/q", "/layer.0/attn/k", "/layer.0/mlp", "café", "cafè", "x😀a", "x😀b", "x😁", long + "a", long + "b", "ab"}
	prefix, cut, _, _ := textTable(names)
	want := []uint8{0, 0, 14, 9, 0, 3, 0, 3, 1, 0, 255, 0}
	for i := range names {
		if prefix[i] != want[i] {
			t.Errorf("%q after %q: prefix %d units, want %d", names[i], names[max(i-1, 0)], prefix[i], want[i])
		}
		if !utf8.ValidString(names[i][cut[i]:]) || utf16Len(names[i][:cut[i]]) != int(prefix[i]) {
			t.Errorf("%q: cut at byte %d for %d units", names[i], cut[i], prefix[i])
		}
	}
	block := make([]string, WireStringBlock+2)
	for i := range block {
		block[i] = "/same/path/" + strconv.Itoa(i)
	}
	prefix, _, _, _ = textTable(block)
	if prefix[WireStringBlock] != 0 || prefix[WireStringBlock+1] == 0 {
		t.Errorf("prefixes at a block's start: %d then %d, want 0 then more", prefix[WireStringBlock], prefix[WireStringBlock+1])
	}
	v := &View{}
	for i, s := range append(names, block...) {
		v.Nodes = append(v.Nodes, Node{ID: "n" + strconv.Itoa(i), Kind: KindOp, Label: s, Name: s + "\xff"})
	}
	checkWire(t, "front-coded", v)
	p, err := prepareWire(mustLayout(t, GenTransformer(2000), Options{ExpandAll: true}))
	if err != nil {
		t.Fatal(err)
	}
	whole := 0
	for _, s := range p.e.table.names {
		whole += len(s)
	}
	t.Logf("2,000-node transformer: %d strings, %d bytes, %d of them in suffixes", p.hdr.Strings, whole, p.hdr.StringBytes)
	if 2*p.hdr.StringBytes > whole {
		t.Errorf("a transformer's names travel in %d bytes of suffixes, more than half of their %d bytes", p.hdr.StringBytes, whole)
	}
}

// TestCoordScale checks the scale's choice: the smallest whose multiples
// hold every coordinate, none when a coordinate is no such multiple or
// would leave int32 at that scale (a large coordinate met before the
// fraction that raises the scale included).
func TestCoordScale(t *testing.T) {
	for _, c := range []struct {
		pts  []float64
		want int
	}{
		{[]float64{1, 2}, 1}, {[]float64{1, 0.5}, 2}, {[]float64{0.5, 0.25}, 4}, {[]float64{3, 0.125, 7}, 8},
		{[]float64{0.1, 1}, 0}, {[]float64{6e8, 0.25}, 0}, {[]float64{6e8, 0.5}, 2}, {[]float64{-3e9}, 0},
		{[]float64{math.NaN()}, 0}, {[]float64{math.Inf(1)}, 0},
	} {
		v := &View{Edges: []Edge{{Points: c.pts}}}
		if got := coordScale(v); got != c.want {
			t.Errorf("coordScale(%v) = %d, want %d", c.pts, got, c.want)
		}
	}
}

// BenchmarkEncodeWire100k times the compact encoding of a laid-out
// 100,000-node transformer (every group open), the graph route's last
// step before gzip.
func BenchmarkEncodeWire100k(b *testing.B) {
	g := GenTransformer(100_000)
	v, err := Layout(context.Background(), g, Options{ExpandAll: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := EncodeWire(v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWireSharedBytes checks the encoder's memo of recent strings, which
// knows a string by its bytes' address and length: strings that start at
// the same address (one a prefix of another), equal strings held apart,
// empty strings, and more strings than the memo has slots (so that they
// share slots) all round-trip, and equal strings get one index.
func TestWireSharedBytes(t *testing.T) {
	whole := "MatMulInteger"
	apart := string([]byte(whole[:6])) // "MatMul", other bytes
	v := &View{Groups: []Group{{ID: "g", Label: whole[:3]}, {ID: whole[:1], Label: "", Parent: "g"}}}
	for i := range 3 * memoSlots {
		lbl := []string{whole, whole[:6], whole[:3], apart, ""}[i%5]
		v.Nodes = append(v.Nodes, Node{ID: fmt.Sprint("n", i), Kind: KindOp, Label: lbl,
			Group: []string{"g", whole[:1], ""}[i%3], Category: fmt.Sprint("c", i%(2*memoSlots)),
			Lines: []string{whole[:i%len(whole)]}})
	}
	for i := 1; i < len(v.Nodes); i++ {
		v.Edges = append(v.Edges, Edge{From: v.Nodes[i-1].ID, To: v.Nodes[i].ID, Label: v.Nodes[i].Label, DType: whole[i%4:]})
	}
	// Same address, lengths memoSlots apart: the same slot.
	long := strings.Repeat("ab", memoSlots)
	for _, n := range []int{3, 3 + memoSlots, 3, 3 + memoSlots} {
		v.Nodes = append(v.Nodes, Node{ID: fmt.Sprint("l", len(v.Nodes)), Kind: KindOp, Label: long[:n]})
	}
	checkWire(t, "shared bytes", v)
	p, err := prepareWire(v)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, s := range p.e.table.names {
		count[s]++
	}
	for _, s := range []string{whole, whole[:6], whole[:3], "c1", "g"} {
		if count[s] != 1 {
			t.Errorf("%q is %d times in the string table, want once", s, count[s])
		}
	}
}

// TestTextTable checks the one-pass string table against its parts done
// one after the other: names made valid, then front-coded (each prefix
// counted rune by rune, sharedByRunes), then each suffix measured in
// UTF-16 units. The names share ASCII and
// non-ASCII prefixes, longer and shorter than maxPrefix, hold bad bytes
// and characters outside the BMP, and cross block boundaries.
func TestTextTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 26))
	parts := []string{"/model/layers.", "é", "😀", "\xff", "a", "/attn/", "日本", strings.Repeat("x", 300), strings.Repeat("ü", 200), "\xe2\x82"}
	var names []string
	prev := ""
	for range 3*WireStringBlock + 17 {
		s := prev[:rng.IntN(len(prev)+1)] // a prefix of the name before, maybe cut inside a character
		for range rng.IntN(4) {
			s += parts[rng.IntN(len(parts))]
		}
		names = append(names, s)
		prev = s
	}
	want := slices.Clone(names)
	for i, s := range want {
		if !utf8.ValidString(s) {
			want[i] = validString(s)
		}
	}
	wantPrefix, wantCut := make([]uint8, len(want)), make([]uint16, len(want))
	for i := 1; i < len(want); i++ {
		if i%WireStringBlock != 0 {
			wantPrefix[i], wantCut[i] = sharedByRunes(want[i-1], want[i])
		}
	}
	got := slices.Clone(names)
	prefix, cut, units, size := textTable(got)
	if !slices.Equal(got, want) || !slices.Equal(prefix, wantPrefix) || !slices.Equal(cut, wantCut) {
		t.Fatal("textTable's names or prefixes differ from validString's and those counted rune by rune")
	}
	total := 0
	for i, s := range want {
		suffix := s[cut[i]:]
		if int(units[i]) != utf16Len(suffix) {
			t.Fatalf("name %d: %d units, want %d", i, units[i], utf16Len(suffix))
		}
		if !utf8.ValidString(suffix) || utf16Len(s[:cut[i]]) != int(prefix[i]) || prefix[i] > maxPrefix {
			t.Fatalf("name %d: prefix %d units / %d bytes of %q", i, prefix[i], cut[i], s)
		}
		total += len(suffix)
	}
	if size != total {
		t.Errorf("size %d, want %d", size, total)
	}
}

// sharedByRunes is the front coding's prefix of b after a counted rune by
// rune: the longest common prefix of whole characters, at most maxPrefix
// UTF-16 units (the reference for shared's shortcut for ASCII).
func sharedByRunes(a, b string) (uint8, uint16) {
	units, bytes := 0, 0
	for bytes < len(a) && bytes < len(b) {
		ra, na := utf8.DecodeRuneInString(a[bytes:])
		rb, nb := utf8.DecodeRuneInString(b[bytes:])
		if ra != rb || na != nb || units+utf16.RuneLen(rb) > maxPrefix {
			break
		}
		units += utf16.RuneLen(rb)
		bytes += nb
	}
	return uint8(units), uint16(bytes)
}

// TestWireStringRuns checks the string table's runs that front coding
// relies on (each string shares its prefix with the one before it): the
// node IDs, the node names and the edges' value names each come one
// after the other in the table, not interleaved with the labels, lines
// and sources met on the way, in a default view (collapsed groups, whose
// lines are many different sizes) and with every group open.
func TestWireStringRuns(t *testing.T) {
	g := GenTransformer(3000)
	for _, opts := range []Options{{}, {ExpandAll: true}} {
		v := mustLayout(t, g, opts)
		p, err := prepareWire(v)
		if err != nil {
			t.Fatal(err)
		}
		n, m := len(v.Nodes), len(v.Edges)
		consecutive := func(what string, col []int32) {
			last := int32(-1)
			for i, k := range col {
				if k == 0 || k <= last { // empty, or met before
					continue
				}
				if last >= 0 && k != last+1 {
					t.Fatalf("%+v: %s %d is string %d, after %d: the run is broken", opts, what, i, k, last)
				}
				last = k
			}
		}
		consecutive("node ID", p.ints[:n])
		consecutive("node name", p.ints[3*n:4*n])
		lines := p.hdr.Lines
		consecutive("edge value", p.ints[11*n+1+lines+2*m:11*n+1+lines+3*m])
	}
}
