package tflite

import (
	"context"
	"fmt"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// Limits on what one file may declare.
const (
	maxSubgraphs = 10_000
	maxOperators = 1_000_000
	maxTensors   = 1_000_000
	maxRank      = 64
	// costPerObject is the work budget one tensor or operator takes: about
	// what it allocates, several times what it takes in the file.
	costPerObject = 256
)

// decoder turns a TFLite flatbuffer into the model IR.
type decoder struct {
	flatbuf.Reader
	ctx     context.Context
	path    string
	opcodes []opcode
	// bufStart/nBuffers locate Model.buffers; buffers are decoded on use.
	bufStart, nBuffers int64
	tensors, operators int
	// warnings are problems found before the model exists.
	warnings []string
}

type opcode struct {
	name    string // "CONV_2D", "CUSTOM:FlexDouble"
	builtin string // the BuiltinOperator name
	version int32
}

// subgraph is one decoded subgraph and the subgraphs its operators use.
type subgraph struct {
	g    *model.Graph
	refs []nodeRef
}

type nodeRef struct {
	node *model.Node
	ref  subgraphRef
}

// decoded is the result of decoding a file.
type decoded struct {
	m         *model.Model
	subgraphs []*model.Graph // every subgraph, by index
	// opHist holds each subgraph's operator histogram, keyed by op name.
	opHist []map[string]int
	// valueNames maps each subgraph's tensor indices to value names.
	valueNames [][]string
	// graphPath maps each subgraph index to its graph path in the model
	// ("" main, "f2" a function, "-" a body reached from its node).
	graphPath []string
	// dec is the decoder, for tests that inspect buffers.
	dec *decoder
}

func decode(ctx context.Context, src *flatbuf.Source, path string) (*decoded, error) {
	// The work budget follows the file size, capped: weight bytes are
	// never charged, and the structure of even the largest models is
	// small next to their weights.
	d := &decoder{Reader: flatbuf.Reader{Src: src, Budget: 16*min(src.Size(), 256<<20) + 1<<20}, ctx: ctx, path: path}
	if src.Size() < 8 {
		return nil, fmt.Errorf("the file is only %d bytes, too short for a TFLite model", src.Size())
	}
	id := d.Bytes(4, 4)
	if string(id) != "TFL3" {
		return nil, fmt.Errorf("not a TFLite model: the file identifier at bytes 4–8 is %q, expected \"TFL3\"", id)
	}
	root := int64(d.U32At(0))
	if root < 8 || root+4 > src.Size() {
		return nil, fmt.Errorf("damaged TFLite file: root offset %d is out of range (file size %d)", root, src.Size())
	}
	mt, ok := d.TableAt(root)
	if !ok {
		return nil, d.wrap("model")
	}
	version := d.Uint32(mt, modelVersion, 0)
	desc := d.Str(mt, modelDescription)
	d.decodeOpcodes(mt)
	d.bufStart, d.nBuffers = d.TableVector(mt, modelBuffers)
	if d.Err != nil {
		return nil, d.wrap("model header")
	}
	sgStart, nsg := d.TableVector(mt, modelSubgraphs)
	if nsg > maxSubgraphs {
		return nil, fmt.Errorf("the model declares %d subgraphs (limit %d)", nsg, maxSubgraphs)
	}
	out := &decoded{dec: d, m: &model.Model{
		Format:      "tflite",
		Producer:    desc,
		Description: desc,
		Version:     strconv.FormatUint(uint64(version), 10),
		Metadata:    map[string]string{},
		// Every subgraph a signature names is a graph of the model, and
		// nodes counts the operators of all of them.
		FunctionsInNodeCount: true,
	}}
	sgs := make([]subgraph, 0, nsg)
	for i := int64(0); i < nsg; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st, ok := d.Elem(sgStart, i)
		if !ok {
			return nil, d.wrap(fmt.Sprintf("subgraph %d", i))
		}
		sg, hist, names, err := d.decodeSubgraph(int(i), st)
		if err != nil {
			return nil, err
		}
		out.valueNames = append(out.valueNames, names)
		sgs = append(sgs, sg)
		out.subgraphs = append(out.subgraphs, sg.g)
		out.opHist = append(out.opHist, hist)
	}
	sigs := d.decodeSignatures(mt, len(sgs))
	if err := link(out, sgs, mainSubgraph(sigs)); err != nil {
		return nil, err
	}
	out.m.Properties = append(out.m.Properties,
		model.Property{Name: "schema version", Value: strconv.FormatUint(uint64(version), 10)},
		model.Property{Name: "subgraphs", Value: strconv.FormatInt(nsg, 10)},
		model.Property{Name: "operators", Value: strconv.Itoa(d.operators)},
		model.Property{Name: "tensors", Value: strconv.Itoa(d.tensors)},
		model.Property{Name: "buffers", Value: strconv.FormatInt(d.nBuffers, 10)},
	)
	d.decodeMetadata(mt, out.m)
	out.addSignatures(sigs, sgs)
	out.m.Warnings = append(out.m.Warnings, d.warnings...)
	if d.Err != nil {
		return nil, d.wrap("model metadata")
	}
	return out, nil
}

func (d *decoder) wrap(what string) error {
	if d.Err == flatbuf.ErrBudget {
		return d.Err
	}
	return fmt.Errorf("%s: %w", what, d.Err)
}

func (d *decoder) decodeOpcodes(mt flatbuf.Table) {
	start, n := d.TableVector(mt, modelOperatorCodes)
	if !d.Charge(n) {
		return
	}
	d.opcodes = make([]opcode, 0, n)
	for i := int64(0); i < n; i++ {
		t, ok := d.Elem(start, i)
		if !ok {
			return
		}
		// The builtin code is the larger of the deprecated byte field and
		// the int32 one: old files set only the byte, new ones only the
		// int32 for codes above 127.
		code := max(int32(int8(d.Uint8(t, opcodeDeprecated, 0))), d.Int32(t, opcodeBuiltin, 0))
		oc := opcode{builtin: builtinName(code), version: d.Int32(t, opcodeVersion, 1)}
		oc.name = oc.builtin
		if code == builtinCustom {
			oc.name = "CUSTOM:" + d.Str(t, opcodeCustom)
		}
		d.opcodes = append(d.opcodes, oc)
	}
}

// buffer returns where the bytes of buffer i are, nil for an empty one.
func (d *decoder) buffer(i int64, dtype model.DType) (*model.Location, error) {
	if i == 0 {
		return nil, nil
	}
	if i < 0 || i >= d.nBuffers {
		return nil, fmt.Errorf("refers to buffer %d but the model has %d buffers", i, d.nBuffers)
	}
	t, ok := d.Elem(d.bufStart, i)
	if !ok {
		return nil, d.wrap(fmt.Sprintf("buffer %d", i))
	}
	loc := &model.Location{File: d.path, Encoding: model.EncRaw}
	if _, fixed := model.DTypeSize(dtype); !fixed {
		loc.Encoding = model.EncOpaque
	}
	// Models over 2 GB keep buffers outside the flatbuffer: an absolute
	// offset (valid when above 1) and a size.
	if off := d.Uint64(t, bufferOffset); off > 1 {
		size := d.Uint64(t, bufferSize)
		if off > uint64(d.Src.Size()) || size > uint64(d.Src.Size())-off {
			return nil, fmt.Errorf("buffer %d (%d bytes at offset %d) lies outside the file (%d bytes)", i, size, off, d.Src.Size())
		}
		loc.Offset, loc.Length = int64(off), int64(size)
		return loc, d.Err
	}
	start, n := d.Vector(t, bufferData, 1)
	if d.Err != nil {
		return nil, d.wrap(fmt.Sprintf("buffer %d", i))
	}
	if n == 0 {
		return nil, nil
	}
	loc.Offset, loc.Length = start, n
	return loc, nil
}

func (d *decoder) decodeMetadata(mt flatbuf.Table, m *model.Model) {
	start, n := d.TableVector(mt, modelMetadata)
	if !d.Charge(n) {
		return
	}
	for i := int64(0); i < n; i++ {
		t, ok := d.Elem(start, i)
		if !ok {
			return
		}
		name := d.Str(t, metadataName)
		bi := int64(d.Uint32(t, metadataBuffer, 0))
		loc, err := d.buffer(bi, "uint8")
		if err != nil {
			m.Warnings = append(m.Warnings, fmt.Sprintf("metadata %q: %v", name, err))
			continue
		}
		m.Metadata[name] = d.renderBlob(loc)
	}
}

// renderBlob shows a small printable buffer as text, anything else by
// size and place.
func (d *decoder) renderBlob(loc *model.Location) string {
	if loc == nil {
		return ""
	}
	if loc.Length <= 256 {
		b := d.Bytes(loc.Offset, loc.Length)
		for len(b) > 0 && b[len(b)-1] == 0 {
			b = b[:len(b)-1]
		}
		printable := len(b) > 0
		for _, c := range b {
			if c < 0x20 || c > 0x7e {
				printable = false
				break
			}
		}
		if printable {
			return string(b)
		}
	}
	return fmt.Sprintf("<%d bytes at offset %d>", loc.Length, loc.Offset)
}
