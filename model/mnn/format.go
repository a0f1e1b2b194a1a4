// Package mnn decodes Alibaba MNN models (.mnn, a flatbuffer with root
// table Net and no file identifier) into the model IR: the op list as the
// main graph wired by tensor names, Input ops as graph inputs, Const
// blobs and the weights inside op parameters (convolution, scale, inner
// product, batch norm) located in the file, and the While/If subgraphs as
// graph attributes. Weight bytes are located, never read.
package mnn

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// Format returns the registry entry for MNN files.
func Format() model.Format {
	return model.Format{
		Name:       "mnn",
		Extensions: []string{".mnn"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Open decodes the MNN file at path.
func Open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := flatbuf.NewSource(f, size)
	if err != nil {
		return nil, fmt.Errorf("mnn: %w", err)
	}
	m, err := decode(ctx, src, path)
	if err != nil {
		return nil, fmt.Errorf("mnn: %w", err)
	}
	return m, nil
}

// Detect recognises an MNN Net by structure, MNN having no file
// identifier: a sound root table whose vtable spans the Net fields up to
// tensorName (which the converter always writes), no four-character
// identifier at bytes 4 to 8 (TFLite, ExecuTorch), reference fields that
// point forward at aligned places, enum fields in range, and, when the
// head holds it, an op list whose first Op has a known type.
func Detect(head []byte, size int64) model.Confidence {
	h := headView{b: head, size: size}
	if len(head) < 32 || size < 32 || identifierLike(head[4:8]) {
		return model.No
	}
	root, ok := h.u32(0)
	if !ok || root%4 != 0 || root < 8 {
		return model.No
	}
	net, ok := h.table(int64(root))
	if !ok || net.vtLen < 4+2*(netTensorName+1) || net.vtLen > 4+2*24 {
		return model.No
	}
	for _, s := range []int{netBizCode, netExtraDescribe, netExtraInfo, netOplists, netOutputName, netTensorName, netSubgraphs, netUUID} {
		if !h.refOK(net, s) {
			return model.No
		}
	}
	if h.slot(net, netOplists) == 0 || h.slot(net, netTensorName) == 0 ||
		h.byteField(net, netPreferForward) > 7 || h.byteField(net, netSourceType) > 4 || h.byteField(net, netUsage) > 2 {
		return model.No
	}
	if !h.firstOpOK(net) {
		return model.No
	}
	return model.Plausible
}

func identifierLike(id []byte) bool {
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// headView reads the first bytes of a file for Detect; ok is false for
// anything outside them.
type headView struct {
	b    []byte
	size int64
}

type headTable struct{ pos, vt, vtLen, tbLen int64 }

func (h headView) u16(p int64) (uint16, bool) {
	if p < 0 || p+2 > int64(len(h.b)) {
		return 0, false
	}
	return binary.LittleEndian.Uint16(h.b[p:]), true
}

func (h headView) u32(p int64) (uint32, bool) {
	if p < 0 || p+4 > int64(len(h.b)) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(h.b[p:]), true
}

func (h headView) table(pos int64) (headTable, bool) {
	so, ok := h.u32(pos)
	if !ok {
		return headTable{}, false
	}
	vt := pos - int64(int32(so))
	vtLen, ok1 := h.u16(vt)
	tbLen, ok2 := h.u16(vt + 2)
	if !ok1 || !ok2 || vtLen < 4 || vtLen%2 != 0 || tbLen < 4 || vt+int64(vtLen) > int64(len(h.b)) || pos+int64(tbLen) > h.size {
		return headTable{}, false
	}
	return headTable{pos, vt, int64(vtLen), int64(tbLen)}, true
}

// slot is a field's offset in its table, 0 when absent.
func (h headView) slot(t headTable, i int) int64 {
	if int64(4+2*i+2) > t.vtLen {
		return 0
	}
	o, _ := h.u16(t.vt + int64(4+2*i))
	return int64(o)
}

// refOK checks a reference field: absent, or pointing forward at a
// 4-aligned place (past the end of a truncated file too, which then
// reaches Open and a clear error).
func (h headView) refOK(t headTable, i int) bool {
	o := h.slot(t, i)
	if o == 0 {
		return true
	}
	v, ok := h.u32(t.pos + o)
	if !ok {
		return true // outside the head: cannot tell
	}
	target := t.pos + o + int64(v)
	return v > 0 && target%4 == 0 && v < 1<<31
}

func (h headView) byteField(t headTable, i int) int64 {
	o := h.slot(t, i)
	if o == 0 || t.pos+o >= int64(len(h.b)) {
		return 0
	}
	return int64(h.b[t.pos+o])
}

// firstOpOK checks the first Op of Net.oplists when the head holds it.
func (h headView) firstOpOK(net headTable) bool {
	o := h.slot(net, netOplists)
	v, ok := h.u32(net.pos + o)
	if !ok {
		return true
	}
	vec := net.pos + o + int64(v)
	n, ok := h.u32(vec)
	if !ok {
		return true
	}
	if n > 1<<28 {
		return false
	}
	if n == 0 {
		return true
	}
	e, ok := h.u32(vec + 4)
	if !ok {
		return true
	}
	op, ok := h.table(vec + 4 + int64(e))
	if !ok {
		return vec+4+int64(e) >= int64(len(h.b)) // not in the head
	}
	if o := h.slot(op, opType); o != 0 {
		t, ok := h.u32(op.pos + o)
		if ok && opTypeNames[int32(t)] == "" {
			return false
		}
	}
	return op.vtLen <= 4+2*16
}
