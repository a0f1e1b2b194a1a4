package ncnn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// binReader reads little-endian int32s from a byte slice, with bounds.
type binReader struct {
	b   []byte
	off int
}

var errShort = errors.New("the file ends inside a record")

func (r *binReader) i32() (int32, error) {
	if len(r.b)-r.off < 4 {
		return 0, errShort
	}
	v := int32(binary.LittleEndian.Uint32(r.b[r.off:]))
	r.off += 4
	return v, nil
}

// remaining is the number of 4-byte words left.
func (r *binReader) remaining() int { return (len(r.b) - r.off) / 4 }

// parseBinary parses a binary .param (Net::load_param_bin): a header of
// three int32s, then per layer its type index, bottom and top counts,
// blob indexes and a binary parameter dictionary ending with -233.
func parseBinary(data []byte) (*net, error) {
	r := &binReader{b: data}
	var hdr [3]int32
	for i := range hdr {
		v, err := r.i32()
		if err != nil {
			return nil, errors.New("the file ends inside the header")
		}
		hdr[i] = v
	}
	lc, bc := int(hdr[1]), int(hdr[2])
	if err := checkHeader(int(hdr[0]), lc, bc); err != nil {
		return nil, err
	}
	if lc > r.remaining()/4 || bc > r.remaining() {
		return nil, fmt.Errorf("the header promises %d layers and %d blobs, more than the file can hold", lc, bc)
	}
	n := &net{layerCount: lc, blobCount: bc, binary: true}
	for i := 0; i < lc; i++ {
		l, err := parseBinaryLayer(r, bc)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		n.layers = append(n.layers, l)
	}
	n.blobNames = make([]string, bc)
	for i := range n.blobNames {
		n.blobNames[i] = strconv.Itoa(i)
	}
	return n, nil
}

// parseBinaryLayer reads one layer record.
func parseBinaryLayer(r *binReader, blobCount int) (layer, error) {
	var h [3]int32
	for i := range h {
		v, err := r.i32()
		if err != nil {
			return layer{}, err
		}
		h[i] = v
	}
	nb, nt := int(h[1]), int(h[2])
	if nb < 0 || nt < 0 || nb+nt > r.remaining() {
		return layer{}, fmt.Errorf("bad bottom/top counts %d/%d", nb, nt)
	}
	l := layer{typ: layerTypeName(h[0])}
	for j := 0; j < nb+nt; j++ {
		v, _ := r.i32()
		if v < 0 || int(v) >= blobCount {
			return layer{}, fmt.Errorf("blob index %d out of range (%d blobs)", v, blobCount)
		}
		if j < nb {
			l.bottoms = append(l.bottoms, int(v))
		} else {
			l.tops = append(l.tops, int(v))
		}
	}
	params, err := parseBinaryParams(r, l.typ)
	if err != nil {
		return layer{}, err
	}
	l.params = params
	return l, nil
}

// parseBinaryParams reads a ParamDict::load_param_bin dictionary.
func parseBinaryParams(r *binReader, typ string) ([]param, error) {
	var out []param
	for {
		id, err := r.i32()
		if err != nil {
			return nil, errors.New("the file ends inside a parameter dictionary")
		}
		if id == -233 {
			return out, nil
		}
		p, err := parseBinaryParam(r, int(id), typ)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
}

// parseBinaryParam reads the value of one binary parameter.
func parseBinaryParam(r *binReader, id int, typ string) (param, error) {
	p := param{id: id}
	switch {
	case id <= -23400:
		p.id, p.isString = -id-23400, true
	case id <= -23300:
		p.id, p.array = -id-23300, true
	}
	if p.id < 0 || p.id >= maxParamID {
		return param{}, fmt.Errorf("parameter id %d out of range", id)
	}
	if p.isString {
		return p, readBinaryString(r, &p)
	}
	count := 1
	if p.array {
		n, err := r.i32()
		if err != nil {
			return param{}, errShort
		}
		if n < 0 || int(n) > r.remaining() {
			return param{}, fmt.Errorf("parameter %d: array length %d out of range", p.id, n)
		}
		count = int(n)
	}
	p.isFloat = floatParams[typ][p.id]
	for j := 0; j < count; j++ {
		v, err := r.i32()
		if err != nil {
			return param{}, errShort
		}
		if p.isFloat {
			p.floats = append(p.floats, float64(math.Float32frombits(uint32(v))))
		} else {
			p.ints = append(p.ints, int64(v))
		}
	}
	return p, nil
}

// readBinaryString reads a length-prefixed string padded to 4 bytes.
func readBinaryString(r *binReader, p *param) error {
	n, err := r.i32()
	if err != nil {
		return errShort
	}
	if n < 0 || n > 255 {
		return fmt.Errorf("parameter %d: string length %d out of range", p.id, n)
	}
	padded := (int(n) + 3) / 4 * 4
	if len(r.b)-r.off < padded {
		return errShort
	}
	p.str = string(r.b[r.off : r.off+int(n)])
	r.off += padded
	return nil
}
