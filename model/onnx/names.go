package onnx

import (
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Value names repeat: a node's output is every consumer's input, a
// weight's name is its initializer's and its consumer's. The decoder keeps
// one copy of each name it has seen (names), and a node decoded from a
// shared copy of its message (strBuf) keeps only the bytes of its names
// that were new, copied together into one string, so that the message's
// other bytes (tags, op type, names seen before) are not kept alive by
// the IR.

// costName is the estimated memory of one entry of the names table.
const costName = 48

// nameRef is an entry of the names table: the kept copy of a name, and
// its number, in the order names were first seen, by which shape
// inference knows the value (shapeinfer.StartNumbered).
type nameRef struct {
	s  string
	id int32
}

// sharedName returns the copy of name kept by the decoder, or name itself
// (then kept) the first time.
func (d *decoder) sharedName(name string) (string, error) {
	if name == "" {
		return name, nil
	}
	if r, ok := d.names[name]; ok {
		return r.s, nil
	}
	if _, err := d.keepName(name); err != nil {
		return "", err
	}
	return name, nil
}

// keepName adds name, known not to be in the table, to it, and returns
// its number.
func (d *decoder) keepName(name string) (int32, error) {
	if err := d.charge(costName); err != nil {
		return -1, err
	}
	if d.names == nil {
		d.names = map[string]nameRef{}
	}
	id := d.nameCount
	d.nameCount++
	d.names[name] = nameRef{s: name, id: id}
	return id, nil
}

// nameID returns the number of a name in the table, -1 if it is not
// there (the empty name never is).
func (d *decoder) nameID(name string) int32 {
	if r, ok := d.names[name]; ok && name != "" {
		return r.id
	}
	return -1
}

// lookupName returns the names table as a lookup of numbers, for shape
// inference once every name is in (the decoder drops its own reference
// afterwards, releaseScratch).
func (d *decoder) lookupName() func(string) (int32, bool) {
	names := d.names
	return func(name string) (int32, bool) {
		r, ok := names[name]
		return r.id, ok
	}
}

// shareNodeNames replaces n's input and output names by the copies seen
// before, and sets d.nodeIDs to their numbers (inputs, then outputs; -1
// for an empty name). When compact (n's strings were cut from the shared
// copy of its message), the names left, n's own name and those of its
// attributes' tensors are copied into one new string.
func (d *decoder) shareNodeNames(n *model.Node, compact bool) error {
	slots, ids, at := d.nameSlots[:0], d.nodeIDs[:0], d.slotAt[:0]
	for _, list := range [2][]string{n.Inputs, n.Outputs} {
		for i, s := range list {
			id := int32(-1)
			if r, ok := d.names[s]; ok {
				list[i], id = r.s, r.id
			} else if s != "" {
				slots, at = append(slots, &list[i]), append(at, len(ids))
			}
			ids = append(ids, id)
		}
	}
	values := len(slots)
	if compact {
		// Exporters name a node's output after the node
		// ("/l.0/MatMul_output_0"): the name is then cut from the output.
		prefixOf := prefixSlot(slots, n.Name)
		if prefixOf == nil {
			slots = append(slots, &n.Name)
		}
		for i := range n.Attrs {
			slots = append(slots, &n.Attrs[i].RefName)
			for _, t := range n.Attrs[i].Tensors {
				slots = append(slots, &t.Name)
			}
		}
		copyInto(slots)
		if prefixOf != nil {
			n.Name = (*prefixOf)[:len(n.Name)]
		}
	}
	d.nameSlots, d.nodeIDs, d.slotAt = slots[:0], ids, at[:0]
	// These names missed the table above: kept, unless one came twice
	// (an input made by its own node, an output named twice).
	for k, p := range slots[:values] {
		if r, ok := d.names[*p]; ok {
			*p, ids[at[k]] = r.s, r.id
			continue
		}
		id, err := d.keepName(*p)
		if err != nil {
			return err
		}
		ids[at[k]] = id
	}
	return nil
}

// prefixSlot returns the first of slots whose string starts with name,
// or nil (also when name is "").
func prefixSlot(slots []*string, name string) *string {
	if name == "" {
		return nil
	}
	for _, p := range slots {
		if strings.HasPrefix(*p, name) {
			return p
		}
	}
	return nil
}

// copyInto copies the strings slots point to into one new string and
// points them to their parts of it.
func copyInto(slots []*string) {
	total := 0
	for _, p := range slots {
		total += len(*p)
	}
	if total == 0 {
		return
	}
	var b strings.Builder
	b.Grow(total)
	for _, p := range slots {
		b.WriteString(*p)
	}
	all, at := b.String(), 0
	for _, p := range slots {
		if *p != "" {
			*p = all[at : at+len(*p)]
			at += len(*p)
		}
	}
}

// releaseScratch drops what only the decoding of the file needed (the
// names table, the shared attribute lists' table, the string table, the
// unused ends of the slabs), so that
// the work after it (shape inference) does not hold it as well.
func (d *decoder) releaseScratch() {
	d.names, d.nameSlots, d.nodeIDs, d.slotAt = nil, nil, nil, nil
	d.attrKey, d.attrLists, d.types = nil, nil, nil
	d.slabs = slabs{}
}
