package onnx

import (
	"encoding/binary"

	"github.com/modelpeek/modelpeek/model"
)

// Nodes of one kind mostly carry the same attributes (every Softmax
// axis=-1, every LayerNormalization epsilon=1e-5, every Transpose of a
// layer the same perm), and a decoded Attribute takes 256 bytes. Nodes
// whose attributes are the same bytes in the file share one decoded
// list, as long as it holds only plain values (numbers and strings: no
// graphs, tensors or types, which later stages may extend).

// Bounds of the shared-attribute table.
const (
	maxSharedAttrLists = 4096
	maxAttrKey         = maxSharedCopy
)

// attrKeyAdd appends the content of an attribute field to the key of the
// node being decoded; keyOK is cleared when the key cannot be made (the
// node's bytes are not in the shared copy, or too long).
func (d *decoder) attrKeyAdd(f field) {
	i := f.off - d.strBase
	if !d.attrKeyOK || d.strBuf == "" || i < 0 || f.n > int64(len(d.strBuf))-i || len(d.attrKey)+int(f.n)+10 > 2*maxAttrKey {
		d.attrKeyOK = false
		return
	}
	d.attrKey = binary.AppendUvarint(d.attrKey, uint64(f.n))
	d.attrKey = append(d.attrKey, d.strBuf[i:i+f.n]...)
}

// sharedAttrs returns the list decoded before from the same bytes as
// scratchAttr[mark:] (then dropped from the scratch stack), or the new
// list carved from it, kept for the nodes after when it holds only
// plain values.
func (d *decoder) sharedAttrs(mark int, key []byte, keyOK bool) []model.Attribute {
	if !keyOK || len(d.scratchAttr) == mark {
		return d.takeAttrs(mark)
	}
	if list, ok := d.attrLists[string(key)]; ok {
		clear(d.scratchAttr[mark:])
		d.scratchAttr = d.scratchAttr[:mark]
		return list
	}
	list := d.takeAttrs(mark)
	if len(d.attrLists) < maxSharedAttrLists && plainAttrs(list) {
		if d.attrLists == nil {
			d.attrLists = map[string][]model.Attribute{}
		}
		d.attrLists[string(key)] = list
	}
	return list
}

// plainAttrs reports whether list holds numbers and strings only.
func plainAttrs(list []model.Attribute) bool {
	for i := range list {
		a := &list[i]
		if len(a.Graphs) > 0 || len(a.Tensors) > 0 || len(a.Types) > 0 {
			return false
		}
		switch a.Type {
		case model.AttrInt, model.AttrFloat, model.AttrString, model.AttrInts, model.AttrFloats, model.AttrStrings:
		default:
			return false
		}
	}
	return true
}
