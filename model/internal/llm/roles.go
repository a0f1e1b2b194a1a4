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
	// Blocks are the numbered blocks in number order.
	Blocks []Block
	// Extra lists tensors whose role is unknown.
	Extra []string
}

// Block is one numbered layer.
type Block struct {
	// Index is the layer number; Prefix the name up to it ("blk.3",
	// "model.layers.3").
	Index  int
	Prefix string
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
	BlockRole(rest string) string
	GlobalRole(module string) string
}

// MapNames sorts names into roles with m.
func MapNames(names []string, m Mapper) Roles {
	r := Roles{Global: map[string][]string{}}
	byIdx := map[int]*Block{}
	for _, name := range names {
		module := trimKind(name)
		if idx, prefix, rest, ok := splitBlock(module); ok {
			if role := m.BlockRole(rest); role != "" {
				b := byIdx[idx]
				if b == nil {
					b = &Block{Index: idx, Prefix: prefix, Roles: map[string][]string{}}
					byIdx[idx] = b
				}
				if b.Prefix == prefix {
					b.Roles[role] = append(b.Roles[role], name)
					continue
				}
			}
		} else if role := m.GlobalRole(module); role != "" {
			r.Global[role] = append(r.Global[role], name)
			continue
		}
		r.Extra = append(r.Extra, name)
	}
	for _, b := range byIdx {
		for _, ts := range b.Roles {
			slices.SortFunc(ts, tensorOrder)
		}
		r.Blocks = append(r.Blocks, *b)
	}
	for _, ts := range r.Global {
		slices.SortFunc(ts, tensorOrder)
	}
	slices.SortFunc(r.Blocks, func(a, b Block) int { return a.Index - b.Index })
	return r
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
func (GGUF) BlockRole(rest string) string {
	if strings.Contains(rest, ".") {
		return ""
	}
	return rest
}

// GlobalRole implements Mapper.
func (GGUF) GlobalRole(module string) string {
	if strings.Contains(module, ".") {
		return ""
	}
	return module
}
