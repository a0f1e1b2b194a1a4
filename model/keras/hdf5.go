package keras

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// A minimal HDF5 reader: just enough to list groups, read string
// attributes and learn datasets' shapes, types and (contiguous) data
// offsets. It understands superblocks 0-3, object headers 1 and 2,
// symbol-table groups (B-tree v1, local heaps) and compact link messages,
// and the global heap for variable-length strings. Every read is bounded:
// addresses are checked against the file size, and the number of objects,
// messages, links and nesting levels is capped.

const hdf5Signature = "\x89HDF\r\n\x1a\n"

// Bounds of the HDF5 reader.
const (
	h5MaxObjects   = 200_000
	h5MaxMessages  = 10_000
	h5MaxDepth     = 32
	h5MaxDims      = 32
	h5MaxAttrBytes = 64 << 20
	h5MaxBtreeLvl  = 16
	h5MaxLinks     = 1_000_000
)

type h5file struct {
	r        io.ReaderAt
	size     int64
	offSize  int
	lenSize  int
	base     int64
	objects  int
	links    int
	rootAddr int64
	// warnings are problems met along the way (unsupported structures).
	warnings []string
	// budget is how many more bytes the reader may read in total: a
	// hostile file cannot make it re-read the same large block forever.
	budget int64
}

// h5object is a group or a dataset.
type h5object struct {
	addr     int64
	attrs    []h5attr
	links    []h5link // group members
	isGroup  bool
	dataset  bool
	shape    []int64
	dtype    string
	dataAddr int64 // contiguous data; -1 when not contiguous
	dataSize int64
	bigEnd   bool
	warn     string
}

type h5attr struct {
	name    string
	strings []string // string values; nil for non-strings
	numbers []float64
}

type h5link struct {
	name string
	addr int64
}

var errH5 = errors.New("damaged HDF5 file")

func h5err(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errH5, fmt.Sprintf(format, args...))
}

// openHDF5 reads the superblock.
func openHDF5(r io.ReaderAt, size int64) (*h5file, error) {
	f := &h5file{r: r, size: size, budget: 8*size + 1<<20}
	hdr, err := f.read(0, 12)
	if err != nil || string(hdr[:8]) != hdf5Signature {
		return nil, errors.New("not an HDF5 file")
	}
	switch v := hdr[8]; v {
	case 0, 1:
		b, err := f.read(0, 24)
		if err != nil {
			return nil, err
		}
		f.offSize, f.lenSize = int(b[13]), int(b[14])
		if err := f.checkSizes(); err != nil {
			return nil, err
		}
		p := int64(24)
		if v == 1 {
			p += 4
		}
		o := f.offSize
		b, err = f.read(p, 4*o+2*o+8+16)
		if err != nil {
			return nil, err
		}
		f.base = int64(f.uint(b[:o]))
		// Root group symbol table entry after base, free-space, EOF and
		// driver addresses: link name offset, object header address.
		f.rootAddr = int64(f.uint(b[4*o+o : 4*o+2*o]))
	case 2, 3:
		b, err := f.read(0, 12)
		if err != nil {
			return nil, err
		}
		f.offSize, f.lenSize = int(b[9]), int(b[10])
		if err := f.checkSizes(); err != nil {
			return nil, err
		}
		o := f.offSize
		b, err = f.read(12, 4*o)
		if err != nil {
			return nil, err
		}
		f.base = int64(f.uint(b[:o]))
		f.rootAddr = int64(f.uint(b[3*o : 4*o]))
	default:
		return nil, fmt.Errorf("HDF5 superblock version %d is not supported", v)
	}
	if f.base != 0 {
		return nil, errors.New("HDF5 files with a user block are not supported")
	}
	return f, nil
}

func (f *h5file) checkSizes() error {
	ok := func(n int) bool { return n == 2 || n == 4 || n == 8 }
	if !ok(f.offSize) || !ok(f.lenSize) {
		return h5err("offset size %d / length size %d", f.offSize, f.lenSize)
	}
	return nil
}

// read returns n bytes at addr, checked against the file size.
func (f *h5file) read(addr int64, n int) ([]byte, error) {
	if addr < 0 || n < 0 || addr > f.size || int64(n) > f.size-addr {
		return nil, h5err("address %d (+%d) outside the file (truncated?)", addr, n)
	}
	if f.budget -= int64(n); f.budget < 0 {
		return nil, errors.New("the HDF5 structures refer to more data than the file holds (damaged or hostile file)")
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, addr); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b, nil
}

func (f *h5file) uint(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// undefined reports the all-ones "undefined address".
func (f *h5file) undefined(a uint64) bool {
	return a == math.MaxUint64>>(64-8*uint(f.offSize))
}

// cursor reads fields from a byte slice without panicking: reads past the
// end yield zeros and set bad.
type cursor struct {
	b   []byte
	p   int
	bad bool
}

func (c *cursor) bytes(n int) []byte {
	if n < 0 || c.p+n > len(c.b) || c.p+n < c.p {
		c.bad = true
		c.p = len(c.b)
		return make([]byte, max(n, 0)&0xff)
	}
	out := c.b[c.p : c.p+n]
	c.p += n
	return out
}

func (c *cursor) u8() uint64 { return uint64(c.bytes(1)[0]) }
func (c *cursor) un(n int) uint64 {
	b := c.bytes(n)
	if len(b) < n {
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
func (c *cursor) skip(n int) { c.bytes(n) }

// message is one object-header message.
type message struct {
	typ  int
	data []byte
}

// object parses the object header at addr.
func (f *h5file) object(addr int64) (*h5object, error) {
	f.objects++
	if f.objects > h5MaxObjects {
		return nil, errors.New("the HDF5 file has more objects than I read")
	}
	msgs, err := f.messages(addr)
	if err != nil {
		return nil, err
	}
	o := &h5object{addr: addr, dataAddr: -1}
	var dtypeMsg, spaceMsg []byte
	for _, m := range msgs {
		switch m.typ {
		case 0x0001:
			spaceMsg = m.data
		case 0x0003:
			dtypeMsg = m.data
		case 0x0008:
			f.layout(o, m.data)
		case 0x000C:
			if a, err := f.attribute(m.data); err == nil {
				o.attrs = append(o.attrs, a)
			} else {
				o.warn = err.Error()
			}
		case 0x0011:
			o.isGroup = true
			c := &cursor{b: m.data}
			btree := int64(c.un(f.offSize))
			heap := int64(c.un(f.offSize))
			if !c.bad {
				if err := f.groupLinks(o, btree, heap); err != nil {
					return nil, err
				}
			}
		case 0x0006:
			o.isGroup = true
			if l, ok := f.linkMessage(m.data); ok {
				o.links = append(o.links, l)
			}
		case 0x0002:
			o.isGroup = true
			c := &cursor{b: m.data}
			c.skip(1)
			flags := c.u8()
			if flags&1 != 0 {
				c.skip(8)
			}
			if heap := c.un(f.offSize); !f.undefined(heap) && !c.bad {
				o.warn = "a group stores its links in a fractal heap, which I do not read"
			}
		}
	}
	if o.warn != "" && len(f.warnings) < 20 {
		f.warnings = append(f.warnings, o.warn)
	}
	if spaceMsg != nil && dtypeMsg != nil {
		o.dataset = true
		o.shape, err = f.dataspace(spaceMsg)
		if err != nil {
			return nil, err
		}
		o.dtype, o.bigEnd, _ = datatype(dtypeMsg)
	}
	return o, nil
}

// messages collects every message of an object header, following
// continuation blocks.
func (f *h5file) messages(addr int64) ([]message, error) {
	first, creationOrder, err := f.headerBlock(addr)
	if err != nil {
		return nil, err
	}
	blocks := []headerBlock{first}
	var out []message
	for i := 0; i < len(blocks); i++ {
		if i > 1000 || len(out) > h5MaxMessages {
			return nil, h5err("object header at %d has too many messages", addr)
		}
		msgs, more, err := f.blockMessages(blocks[i], i > 0, creationOrder)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
		blocks = append(blocks, more...)
	}
	return out, nil
}

// headerBlock is one block of an object header's messages: the first
// block or a continuation.
type headerBlock struct {
	addr, size int64
	v2         bool
}

// headerBlock reads the prefix of the object header at addr (version 1,
// or version 2 "OHDR") and returns its first message block and whether
// its messages carry a creation order.
func (f *h5file) headerBlock(addr int64) (headerBlock, bool, error) {
	first, err := f.read(addr, 1)
	if err != nil {
		return headerBlock{}, false, err
	}
	if first[0] == 1 {
		h, err := f.read(addr, 16)
		if err != nil {
			return headerBlock{}, false, err
		}
		size := int64(binary.LittleEndian.Uint32(h[8:]))
		return headerBlock{addr + 16, size, false}, false, nil
	}
	h, err := f.read(addr, 6)
	if err != nil {
		return headerBlock{}, false, err
	}
	if string(h[:4]) != "OHDR" || h[4] != 2 {
		return headerBlock{}, false, h5err("object header at %d has an unknown version", addr)
	}
	flags := h[5]
	p := addr + 6
	if flags&0x20 != 0 { // access, modification, change and birth times
		p += 16
	}
	if flags&0x10 != 0 { // attribute phase change values
		p += 4
	}
	n := 1 << (flags & 3)
	b, err := f.read(p, n)
	if err != nil {
		return headerBlock{}, false, err
	}
	return headerBlock{p + int64(n), int64(f.uintN(b)), true}, flags&0x04 != 0, nil
}

// blockMessages reads the messages of one header block; continuation
// messages become further blocks to read.
func (f *h5file) blockMessages(bl headerBlock, continuation, creationOrder bool) ([]message, []headerBlock, error) {
	if bl.size < 0 || bl.size > f.size {
		return nil, nil, h5err("object header block of %d bytes", bl.size)
	}
	data, err := f.read(bl.addr, int(bl.size))
	if err != nil {
		return nil, nil, err
	}
	c := &cursor{b: data}
	if bl.v2 {
		if continuation && string(c.bytes(4)) != "OCHK" {
			return nil, nil, h5err("continuation block without its signature")
		}
		c.b = c.b[:max(len(c.b)-4, c.p)] // checksum
	}
	var out []message
	var more []headerBlock
	for c.p < len(c.b) && !c.bad {
		typ, body, ok := nextMessage(c, bl.v2, creationOrder)
		if !ok {
			break
		}
		if typ == 0x0010 { // continuation: address and length of the next block
			cc := &cursor{b: body}
			a := int64(cc.un(f.offSize))
			n := int64(cc.un(f.lenSize))
			if !cc.bad {
				more = append(more, headerBlock{a, n, bl.v2})
			}
			continue
		}
		out = append(out, message{typ: typ, data: body})
	}
	return out, more, nil
}

// nextMessage reads one message's type and body at c; ok is false at the
// block's end (padding too short for a message prefix) or past its bounds.
func nextMessage(c *cursor, v2, creationOrder bool) (typ int, body []byte, ok bool) {
	var size int
	if v2 {
		if len(c.b)-c.p < 4 {
			return 0, nil, false
		}
		typ = int(c.u8())
		size = int(c.un(2))
		c.u8() // message flags
		if creationOrder {
			c.skip(2)
		}
	} else {
		if len(c.b)-c.p < 8 {
			return 0, nil, false
		}
		typ = int(c.un(2))
		size = int(c.un(2))
		c.skip(4) // flags and reserved
	}
	body = c.bytes(size)
	if c.bad {
		return 0, nil, false
	}
	return typ, body, true
}

func (f *h5file) uintN(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// dataspace decodes a dataspace message into dimensions.
func (f *h5file) dataspace(b []byte) ([]int64, error) {
	c := &cursor{b: b}
	v := c.u8()
	rank := int(c.u8())
	flags := c.u8()
	switch v {
	case 1:
		c.skip(5)
	case 2:
		if t := c.u8(); t != 1 {
			return []int64{}, nil // scalar or null
		}
	default:
		return nil, h5err("dataspace version %d", v)
	}
	_ = flags
	if rank > h5MaxDims {
		return nil, h5err("%d dimensions", rank)
	}
	dims := make([]int64, rank)
	for i := range dims {
		d := c.un(f.lenSize)
		if d > 1<<62 {
			return nil, h5err("dimension of %d", d)
		}
		dims[i] = int64(d)
	}
	if c.bad {
		return nil, h5err("short dataspace")
	}
	return dims, nil
}

// datatype names an HDF5 datatype in numpy spelling.
func datatype(b []byte) (name string, bigEndian bool, size int) {
	c := &cursor{b: b}
	cv := c.u8()
	bits := c.bytes(3)
	size = int(c.un(4))
	if c.bad {
		return "", false, 0
	}
	class := cv & 0x0f
	bigEndian = bits[0]&1 != 0
	switch class {
	case 0: // fixed point
		signed := bits[0]&0x08 != 0
		if size >= 1 && size <= 8 && size&(size-1) == 0 {
			if signed {
				return fmt.Sprintf("int%d", size*8), bigEndian, size
			}
			return fmt.Sprintf("uint%d", size*8), bigEndian, size
		}
	case 1:
		switch size {
		case 2:
			return "float16", bigEndian, size
		case 4:
			return "float32", bigEndian, size
		case 8:
			return "float64", bigEndian, size
		}
	case 3:
		return "string", false, size
	case 8: // enum: h5py writes bools as an int8 enum
		return "bool", false, size
	case 9:
		if bits[0]&0x0f == 1 {
			return "vlen-string", false, size
		}
		return "vlen", false, size
	case 6:
		return "compound", false, size
	}
	return fmt.Sprintf("hdf5-class-%d", class), bigEndian, size
}

// layout records where a contiguous dataset's data lies.
func (f *h5file) layout(o *h5object, b []byte) {
	c := &cursor{b: b}
	v := c.u8()
	if v != 3 && v != 4 {
		return
	}
	if class := c.u8(); class != 1 {
		return
	}
	addr := c.un(f.offSize)
	size := c.un(f.lenSize)
	if c.bad || f.undefined(addr) || addr > uint64(f.size) || size > uint64(f.size)-addr {
		return
	}
	o.dataAddr, o.dataSize = int64(addr), int64(size)
}

// attribute decodes an attribute message, keeping string and numeric values.
func (f *h5file) attribute(b []byte) (h5attr, error) {
	c := &cursor{b: b}
	v := c.u8()
	c.skip(1)
	nameSize := int(c.un(2))
	typeSize := int(c.un(2))
	spaceSize := int(c.un(2))
	pad := func(n int) int { return n }
	switch v {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		c.skip(1)
	default:
		return h5attr{}, h5err("attribute version %d", v)
	}
	name := strings.TrimRight(string(c.bytes(pad(nameSize))), "\x00")
	typ := c.bytes(pad(typeSize))
	space := c.bytes(pad(spaceSize))
	if c.bad {
		return h5attr{}, h5err("short attribute %q", name)
	}
	a := h5attr{name: name}
	dims, err := f.dataspace(space)
	if err != nil {
		return a, err
	}
	n := int64(1)
	for _, d := range dims {
		if d != 0 && n > h5MaxAttrBytes/d {
			return a, h5err("attribute %q is too large", name)
		}
		n *= d
	}
	kind, bigEnd, size := datatype(typ)
	data := c.b[c.p:]
	switch kind {
	case "string":
		if size <= 0 || n*int64(size) > int64(len(data)) {
			return a, h5err("attribute %q is shorter than its type", name)
		}
		for i := int64(0); i < n; i++ {
			s := data[i*int64(size) : (i+1)*int64(size)]
			a.strings = append(a.strings, strings.TrimRight(string(s), "\x00 "))
		}
	case "vlen-string":
		rec := 4 + f.offSize + 4
		if n*int64(rec) > int64(len(data)) {
			return a, h5err("attribute %q is shorter than its type", name)
		}
		for i := int64(0); i < n; i++ {
			rc := &cursor{b: data[i*int64(rec):]}
			length := rc.un(4)
			coll := int64(rc.un(f.offSize))
			idx := rc.un(4)
			s, err := f.globalHeap(coll, idx, length)
			if err != nil {
				return a, fmt.Errorf("attribute %q: %w", name, err)
			}
			a.strings = append(a.strings, s)
		}
	default:
		if strings.HasPrefix(kind, "float") || strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") {
			for i := int64(0); i < n && i < 64 && (i+1)*int64(size) <= int64(len(data)); i++ {
				a.numbers = append(a.numbers, number(kind, bigEnd, data[i*int64(size):(i+1)*int64(size)]))
			}
		}
	}
	return a, nil
}

func number(kind string, bigEnd bool, b []byte) float64 {
	var u uint64
	if bigEnd {
		for _, x := range b {
			u = u<<8 | uint64(x)
		}
	} else {
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
	}
	switch kind {
	case "float32":
		return float64(math.Float32frombits(uint32(u)))
	case "float64":
		return math.Float64frombits(u)
	case "int8":
		return float64(int8(u))
	case "int16":
		return float64(int16(u))
	case "int32":
		return float64(int32(u))
	case "int64":
		return float64(int64(u))
	}
	return float64(u)
}

// globalHeap returns object idx of the global heap collection at addr.
func (f *h5file) globalHeap(addr int64, idx, length uint64) (string, error) {
	h, err := f.read(addr, 8+f.lenSize)
	if err != nil {
		return "", err
	}
	if string(h[:4]) != "GCOL" {
		return "", h5err("global heap without its signature")
	}
	size := int64(f.uint(h[8 : 8+f.lenSize]))
	if size < 0 || size > h5MaxAttrBytes {
		return "", h5err("global heap of %d bytes", size)
	}
	data, err := f.read(addr, int(size))
	if err != nil {
		return "", err
	}
	c := &cursor{b: data, p: 8 + f.lenSize}
	for c.p+8+f.lenSize <= len(c.b) {
		i := c.un(2)
		c.skip(6)
		n := c.un(f.lenSize)
		if i == 0 || n > uint64(len(c.b)-c.p) {
			break
		}
		obj := c.bytes(int(n))
		if i == idx {
			if length < uint64(len(obj)) {
				obj = obj[:length]
			}
			return string(obj), nil
		}
		c.skip(int((n+7)&^7 - n))
	}
	return "", h5err("global heap object %d not found", idx)
}

// groupLinks lists an old-style group's members from its B-tree and
// local heap.
func (f *h5file) groupLinks(o *h5object, btree, heapAddr int64) error {
	h, err := f.read(heapAddr, 8+2*f.lenSize+f.offSize)
	if err != nil {
		return err
	}
	if string(h[:4]) != "HEAP" {
		return h5err("local heap without its signature")
	}
	c := &cursor{b: h, p: 8}
	heapSize := int64(c.un(f.lenSize))
	c.skip(f.lenSize)
	heapData := int64(c.un(f.offSize))
	if heapSize < 0 || heapSize > f.size {
		return h5err("local heap of %d bytes", heapSize)
	}
	heap, err := f.read(heapData, int(heapSize))
	if err != nil {
		return err
	}
	return f.btreeNode(o, btree, heap, 0)
}

func (f *h5file) btreeNode(o *h5object, addr int64, heap []byte, depth int) error {
	if depth > h5MaxBtreeLvl {
		return h5err("group B-tree deeper than %d levels", h5MaxBtreeLvl)
	}
	f.objects++
	if f.objects > h5MaxObjects {
		return errors.New("the HDF5 file has more objects than I read")
	}
	h, err := f.read(addr, 8+2*f.offSize)
	if err != nil {
		return err
	}
	if string(h[:4]) != "TREE" || h[4] != 0 {
		return h5err("group B-tree node without its signature")
	}
	level := int(h[5])
	entries := int(binary.LittleEndian.Uint16(h[6:]))
	size := 8 + 2*f.offSize + entries*(f.lenSize+f.offSize) + f.lenSize
	b, err := f.read(addr, size)
	if err != nil {
		return err
	}
	c := &cursor{b: b, p: 8 + 2*f.offSize}
	for i := 0; i < entries; i++ {
		c.skip(f.lenSize)
		child := int64(c.un(f.offSize))
		if level > 0 {
			if err := f.btreeNode(o, child, heap, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := f.symbolNode(o, child, heap); err != nil {
			return err
		}
	}
	return nil
}

func (f *h5file) symbolNode(o *h5object, addr int64, heap []byte) error {
	h, err := f.read(addr, 8)
	if err != nil {
		return err
	}
	if string(h[:4]) != "SNOD" {
		return h5err("symbol table node without its signature")
	}
	n := int(binary.LittleEndian.Uint16(h[6:]))
	entry := 2*f.offSize + 24
	b, err := f.read(addr+8, n*entry)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		c := &cursor{b: b[i*entry:]}
		nameOff := c.un(f.offSize)
		objAddr := int64(c.un(f.offSize))
		if nameOff >= uint64(len(heap)) {
			return h5err("link name outside the local heap")
		}
		name := heap[nameOff:]
		if j := strings.IndexByte(string(name), 0); j >= 0 {
			name = name[:j]
		}
		if f.links++; f.links > h5MaxLinks {
			return errors.New("the HDF5 file has more links than I read")
		}
		o.links = append(o.links, h5link{name: string(name), addr: objAddr})
	}
	return nil
}

// linkMessage decodes a hard link of a compact new-style group.
func (f *h5file) linkMessage(b []byte) (h5link, bool) {
	c := &cursor{b: b}
	if c.u8() != 1 {
		return h5link{}, false
	}
	flags := c.u8()
	typ := uint64(0)
	if flags&0x08 != 0 {
		typ = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8)
	}
	if flags&0x10 != 0 {
		c.skip(1)
	}
	n := int(c.un(1 << (flags & 3)))
	name := string(c.bytes(n))
	if typ != 0 {
		return h5link{}, false
	}
	addr := int64(c.un(f.offSize))
	if c.bad {
		return h5link{}, false
	}
	return h5link{name: name, addr: addr}, true
}

// attr returns the named attribute.
func (o *h5object) attr(name string) (h5attr, bool) {
	for _, a := range o.attrs {
		if a.name == name {
			return a, true
		}
	}
	return h5attr{}, false
}

// strings returns a string attribute's values. Keras splits attributes too
// large for an object header into name0, name1, ...; those are joined.
func (o *h5object) strings(name string) []string {
	if a, ok := o.attr(name); ok {
		return a.strings
	}
	var out []string
	for i := 0; i < 10_000; i++ {
		a, ok := o.attr(fmt.Sprintf("%s%d", name, i))
		if !ok {
			break
		}
		out = append(out, a.strings...)
	}
	return out
}

// walk visits every object below o (depth first, members in stored
// order), calling fn with its slash-separated path. Objects reached twice
// (hard links, cycles) are visited once.
func (f *h5file) walk(o *h5object, prefix string, depth int, seen map[int64]bool, fn func(path string, obj *h5object)) error {
	if depth > h5MaxDepth {
		return h5err("groups nested deeper than %d", h5MaxDepth)
	}
	for _, l := range o.links {
		if seen[l.addr] {
			continue
		}
		seen[l.addr] = true
		child, err := f.object(l.addr)
		if err != nil {
			return fmt.Errorf("%s%s: %w", prefix, l.name, err)
		}
		p := prefix + l.name
		fn(p, child)
		if child.isGroup {
			if err := f.walk(child, p+"/", depth+1, seen, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
