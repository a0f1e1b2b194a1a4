package model

import "strconv"

// A big graph describes hundreds of thousands of values whose types are
// few: every activation of a transformer's residual stream is float32
// [1,seq,64]. ShareTypes makes values of equal types point to one Type,
// which takes a decoded 500,000-node model's types from about 200 bytes
// per value to a pointer.

// maxShareDepth bounds the nesting of types ShareTypes compares; deeper
// types are left as they are.
const maxShareDepth = 16

// ShareTypes makes the values of m's graphs (main graph, functions and
// every subgraph nested in their nodes) whose types are equal share one
// Type. Types are treated as immutable once decoded: no caller may change
// a Type reached through a Value after ShareTypes, since others may point
// to it.
func ShareTypes(m *Model) {
	if m == nil {
		return
	}
	s := typeSharer{canon: map[string]*Type{}, recent: make(map[*Type]*Type, recentTypes)}
	stack := append([]*Graph{m.Graph}, m.Functions...)
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g == nil {
			continue
		}
		s.values(g.Inputs)
		s.values(g.Outputs)
		s.values(g.ValueInfo)
		for _, n := range g.Nodes {
			stack = append(stack, n.Subgraphs()...)
		}
	}
}

// typeSharer maps a type's exact spelling to its shared instance.
type typeSharer struct {
	canon map[string]*Type
	key   []byte
	// recent remembers the shared instance of the types met last, by
	// address: most values' types are a few instances met again and
	// again (the ONNX decoder shares equal TypeProtos, a shape rule often
	// passes its input's type on), and a type does not change once
	// decoded. A hit spares spelling the type and a lookup in canon.
	// It is emptied when full, so that it stays small enough for the
	// cache (model packages do not import unsafe to hash an address).
	recent map[*Type]*Type
}

// recentTypes is how many types typeSharer.recent holds.
const recentTypes = 256

func (s *typeSharer) values(vs []*Value) {
	for _, v := range vs {
		if v != nil && v.Type != nil {
			v.Type = s.share(v.Type)
		}
	}
}

// share returns the shared Type equal to t, t itself the first time.
func (s *typeSharer) share(t *Type) *Type {
	if c, ok := s.recent[t]; ok {
		return c
	}
	c := s.spelled(t)
	if len(s.recent) >= recentTypes {
		clear(s.recent)
	}
	s.recent[t] = c
	return c
}

// spelled is share without recent.
func (s *typeSharer) spelled(t *Type) *Type {
	var ok bool
	if s.key, ok = appendTypeKey(s.key[:0], t, 0); !ok {
		return t
	}
	if c, found := s.canon[string(s.key)]; found {
		return c
	}
	s.canon[string(s.key)] = t
	return t
}

// appendTypeKey appends a spelling of t that differs whenever any field of
// t (or of its element types) differs; false when t nests too deeply.
func appendTypeKey(b []byte, t *Type, depth int) ([]byte, bool) {
	if t == nil {
		return append(b, 'n'), true
	}
	if depth > maxShareDepth {
		return b, false
	}
	b = append(b, 't')
	for _, s := range [...]string{string(t.Kind), string(t.DType), string(t.Key), t.Denotation} {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	if t.Shape == nil {
		b = append(b, 'u')
	} else {
		b = append(b, 's')
		b = strconv.AppendInt(b, int64(len(t.Shape)), 10)
	}
	for _, d := range t.Shape {
		b = append(b, '?')
		if d.Known {
			b[len(b)-1] = 'k'
		}
		b = strconv.AppendInt(b, d.Size, 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(len(d.Param)), 10)
		b = append(b, ':')
		b = append(b, d.Param...)
	}
	return appendTypeKey(b, t.Elem, depth+1)
}
