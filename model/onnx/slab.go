package onnx

import "github.com/modelpeek/modelpeek/model"

// Decoding a big graph allocates millions of small objects. The decoder
// carves nodes, attributes and name lists out of larger blocks, and shares
// the strings that repeat (op types, domains, attribute names, symbolic
// dimensions), which makes a 100,000-node model several times faster to open.

const slabSize = 512

// slabs holds the blocks objects are carved from, and scratch stacks used
// while a node's lists are being collected (nested subgraphs push above
// the outer node's entries and pop before it finishes).
type slabs struct {
	nodes       []model.Node
	strs        []string
	attrs       []model.Attribute
	scratchStr  []string
	scratchOut  []string
	scratchAttr []model.Attribute
	interned    map[string]string
}

// newNode returns a zeroed node from the node block.
func (s *slabs) newNode() *model.Node {
	if len(s.nodes) == 0 {
		s.nodes = make([]model.Node, slabSize)
	}
	n := &s.nodes[0]
	s.nodes = s.nodes[1:]
	return n
}

// takeStrings moves scratchStr[mark:] into a block and returns it as a
// slice of its own (appending to it never touches its neighbours).
func (s *slabs) takeStrings(mark int) []string {
	out := s.carve(s.scratchStr[mark:])
	clear(s.scratchStr[mark:])
	s.scratchStr = s.scratchStr[:mark]
	return out
}

// takeOutputs is takeStrings for scratchOut.
func (s *slabs) takeOutputs(mark int) []string {
	out := s.carve(s.scratchOut[mark:])
	clear(s.scratchOut[mark:])
	s.scratchOut = s.scratchOut[:mark]
	return out
}

// carve copies strs into the string block.
func (s *slabs) carve(strs []string) []string {
	k := len(strs)
	if k == 0 {
		return []string{}
	}
	if len(s.strs) < k {
		s.strs = make([]string, max(slabSize*4, k))
	}
	out := s.strs[:k:k]
	s.strs = s.strs[k:]
	copy(out, strs)
	return out
}

// takeAttrs moves scratchAttr[mark:] into a block, like takeStrings.
func (s *slabs) takeAttrs(mark int) []model.Attribute {
	k := len(s.scratchAttr) - mark
	if k == 0 {
		return nil
	}
	if len(s.attrs) < k {
		s.attrs = make([]model.Attribute, max(slabSize/4, k))
	}
	out := s.attrs[:k:k]
	s.attrs = s.attrs[k:]
	copy(out, s.scratchAttr[mark:])
	clear(s.scratchAttr[mark:])
	s.scratchAttr = s.scratchAttr[:mark]
	return out
}

// maxInterned bounds the shared-string table.
const (
	maxInterned    = 8192
	maxInternedLen = 64
)

// intern returns a string equal to b, shared with earlier equal strings
// when b is short.
func (s *slabs) intern(b []byte) string {
	if len(b) > maxInternedLen {
		return string(b)
	}
	if v, ok := s.interned[string(b)]; ok {
		return v
	}
	v := string(b)
	if s.interned == nil {
		s.interned = map[string]string{}
	}
	if len(s.interned) < maxInterned {
		s.interned[v] = v
	}
	return v
}
