package caffe

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbsniff"
	"github.com/modelpeek/modelpeek/model/internal/prototext"
)

const (
	bytesT  = protowire.BytesType
	varintT = protowire.VarintType
)

// layerShape is the sniffing schema of a layer message: its names must be
// text and its blobs messages; every other field of the message is
// accepted as it comes.
func layerShape(msgName string, lf layerFields, blob *pbsniff.Schema) *pbsniff.Schema {
	s := pbsniff.Schema{}
	for num := range schema[msgName] {
		s[protowire.Number(num)] = pbsniff.Rule{Any: true}
	}
	for _, n := range []protowire.Number{lf.bottom, lf.top} {
		s[n] = pbsniff.Rule{Type: bytesT, Text: true}
	}
	s[lf.name] = pbsniff.Rule{Type: bytesT, Text: true, Once: true}
	s[lf.blobs] = pbsniff.Rule{Type: bytesT, Msg: blob}
	if lf.typ == v2Fields.typ {
		s[lf.typ] = pbsniff.Rule{Type: bytesT, Text: true, Once: true}
	} else {
		s[lf.typ] = pbsniff.Rule{Type: varintT, Once: true}
	}
	return &s
}

// netShape is the sniffing schema of a NetParameter.
func netShape() *pbsniff.Schema {
	blob := pbsniff.Schema{}
	for num := range schema["BlobProto"] {
		blob[protowire.Number(num)] = pbsniff.Rule{Any: true}
	}
	return &pbsniff.Schema{
		1:   {Type: bytesT, Text: true, Once: true},
		2:   {Type: bytesT, Msg: layerShape("V1LayerParameter", v1Fields, &blob)},
		3:   {Type: bytesT, Text: true},
		4:   {Any: true},
		5:   {Type: varintT, Once: true},
		6:   {Type: bytesT, Once: true},
		7:   {Type: varintT, Once: true},
		8:   {Type: bytesT},
		100: {Type: bytesT, Msg: layerShape("LayerParameter", v2Fields, &blob)},
	}
}

// isBinary reports whether a head looks like a binary NetParameter: it
// must start with the net's name, an input or a layer, and hold a layer
// or input within the head.
func isBinary(head []byte, size int64) bool {
	if len(head) < 2 {
		return false
	}
	switch head[0] {
	case 0x0a, 0x12, 0x1a, 0xa2:
	default:
		return false
	}
	n, ok := pbsniff.Check(head, netShape(), size > int64(len(head)))
	return ok && n >= 2 && hasLayerOrInput(head)
}

// hasLayerOrInput reports whether the head's top-level fields include a
// layer (2, 100) or an input (3).
func hasLayerOrInput(head []byte) bool {
	for b := head; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		if num == 2 || num == 3 || num == 100 {
			return true
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return false
		}
		b = b[n+m:]
	}
	return false
}

// netNames are NetParameter's text-format field names.
var netNames = map[string]bool{
	"name": true, "input": true, "input_shape": true, "input_dim": true, "force_backward": true,
	"state": true, "debug_info": true, "layer": true, "layers": true,
}

// isText reports whether a head looks like a text NetParameter: only net
// field names at the top level, and a layer or an input among them.
func isText(head []byte, size int64) bool {
	names, read, err := prototext.Scan(head, 64)
	if len(names) == 0 || (err != nil && !(size > int64(len(head)) && read > len(head)-1024)) {
		return false
	}
	found := false
	for _, n := range names {
		if !netNames[n] {
			return false
		}
		found = found || n == "layer" || n == "layers" || n == "input"
	}
	return found
}

func detect(head []byte, size int64) model.Confidence {
	if isText(head, size) || isBinary(head, size) {
		return model.Plausible
	}
	return model.No
}
