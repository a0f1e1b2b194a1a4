package llm

import (
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model/internal/hier"
)

// Roles maps a model's tensors onto llama.cpp's tensor roles
// ("attn_q", "ffn_down_exps", "token_embd", ...).
type Roles struct {
	// Global holds the roles outside numbered blocks.
	Global map[string][]string
	// Blocks are the numbered blocks in number order: the decoder's in an
	// encoder-decoder model, else the largest stack's.
	Blocks []Block
	// Encoder holds the encoder's blocks of an encoder-decoder model.
	Encoder []Block
	// Extra lists tensors whose role is unknown.
	Extra []string
}

// Block is one numbered layer.
type Block struct {
	// Index is the layer number; Prefix the name up to it ("blk.3",
	// "model.layers.3"), Stack the name before the number ("blk").
	Index  int
	Prefix string
	Stack  string
	// Roles maps a role to its tensors: weight first, then bias, then the
	// rest in natural order (per-expert tensors).
	Roles map[string][]string
}

// maxBlocks bounds the layer numbers taken from names; larger ones are
// extra tensors.
const maxBlocks = 100000

// Mapper maps a name inside a block (without the block prefix and the
// trailing ".weight"/".bias") or a global name to a role, "" if unknown.
type Mapper interface {
	BlockRole(stack, rest string) string
	GlobalRole(module string) string
}

// MapNames sorts names into roles with m.
func MapNames(names []string, m Mapper) Roles {
	r := Roles{Global: map[string][]string{}}
	c := &collector{stacks: map[string]*stack{}}
	for _, name := range names {
		module := trimKind(name)
		if idx, prefix, rest, ok := splitBlock(module); ok {
			st := strings.TrimSuffix(prefix, "."+strconv.Itoa(idx))
			if role := m.BlockRole(st, rest); role != "" {
				c.add(st, idx, prefix, role, name)
				continue
			}
		} else if role := m.GlobalRole(module); role != "" {
			r.Global[role] = append(r.Global[role], name)
			continue
		}
		r.Extra = append(r.Extra, name)
	}
	c.pick(&r)
	for _, ts := range r.Global {
		slices.SortFunc(ts, tensorOrder)
	}
	return r
}

// stack is the blocks sharing a prefix ("blk", "enc.blk").
type stack struct {
	blocks  map[int]*Block
	tensors []string
}

// collector gathers blocks by stack, in order of first appearance.
type collector struct {
	stacks map[string]*stack
	order  []string
}

func (c *collector) add(st string, idx int, prefix, role, name string) {
	s := c.stacks[st]
	if s == nil {
		s = &stack{blocks: map[int]*Block{}}
		c.stacks[st] = s
		c.order = append(c.order, st)
	}
	b := s.blocks[idx]
	if b == nil {
		b = &Block{Index: idx, Prefix: prefix, Stack: st, Roles: map[string][]string{}}
		s.blocks[idx] = b
	}
	b.Roles[role] = append(b.Roles[role], name)
	s.tensors = append(s.tensors, name)
}

// pick keeps an encoder and a decoder stack when there are both, else the
// stack with the most tensors; the other stacks' tensors are extra.
func (c *collector) pick(r *Roles) {
	enc, dec, main := "", "", ""
	for _, st := range c.order {
		switch first, _, _ := strings.Cut(st, "."); first {
		case "enc", "encoder":
			enc = st
		case "dec", "decoder":
			dec = st
		}
		if main == "" || len(c.stacks[st].tensors) > len(c.stacks[main].tensors) {
			main = st
		}
	}
	keep := map[string]bool{}
	switch {
	case enc != "" && dec != "":
		r.Encoder, r.Blocks = c.sorted(enc), c.sorted(dec)
		keep[enc], keep[dec] = true, true
	case main != "":
		r.Blocks = c.sorted(main)
		keep[main] = true
	}
	for _, st := range c.order {
		if !keep[st] {
			r.Extra = append(r.Extra, c.stacks[st].tensors...)
		}
	}
}

// sorted returns a stack's blocks in number order, their tensors sorted.
func (c *collector) sorted(st string) []Block {
	var out []Block
	for _, b := range c.stacks[st].blocks {
		for _, ts := range b.Roles {
			slices.SortFunc(ts, tensorOrder)
		}
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Block) int { return a.Index - b.Index })
	return out
}

// trimKind drops a trailing ".weight" or ".bias".
func trimKind(name string) string {
	for _, s := range []string{".weight", ".bias"} {
		if strings.HasSuffix(name, s) {
			return name[:len(name)-len(s)]
		}
	}
	return name
}

// splitBlock finds the first numeric segment of a module name:
// "model.layers.3.mlp.up_proj" -> 3, "model.layers.3", "mlp.up_proj".
func splitBlock(module string) (idx int, prefix, rest string, ok bool) {
	segs := strings.Split(module, ".")
	for i := 1; i < len(segs)-1; i++ {
		n, err := strconv.Atoi(segs[i])
		if err != nil || n < 0 || segs[i] != strconv.Itoa(n) {
			continue
		}
		if n >= maxBlocks {
			return 0, "", "", false
		}
		return n, strings.Join(segs[:i+1], "."), strings.Join(segs[i+1:], "."), true
	}
	return 0, "", "", false
}

func tensorOrder(a, b string) int {
	if c := kindRank(a) - kindRank(b); c != 0 {
		return c
	}
	if c := hier.Compare(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func kindRank(name string) int {
	switch {
	case strings.HasSuffix(name, ".weight"):
		return 0
	case strings.HasSuffix(name, ".bias"):
		return 1
	}
	return 2
}

// GGUF maps gguf-py's tensor names: "blk.N.<role>.weight" and
// "<role>.weight".
type GGUF struct{}

// BlockRole implements Mapper.
func (GGUF) BlockRole(_, rest string) string {
	switch {
	case strings.Contains(rest, "."):
		return ""
	case rest == "attn_o": // T5's name for the attention output
		return "attn_output"
	}
	return rest
}

// GlobalRole implements Mapper.
func (GGUF) GlobalRole(module string) string {
	switch module {
	case "enc.output_norm", "dec.output_norm":
		return module
	}
	if strings.Contains(module, ".") {
		return ""
	}
	return module
}
