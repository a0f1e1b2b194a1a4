package tensorflow

import (
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbsniff"
	"github.com/modelpeek/modelpeek/model/internal/prototext"
)

// kind is which TensorFlow message a file holds.
type kind int

const (
	kindNone kind = iota
	kindGraph
	kindMeta
	kindSaved
)

const (
	bytesT  = protowire.BytesType
	varintT = protowire.VarintType
)

// Schemas of the messages a file may start with (graph.proto,
// node_def.proto, meta_graph.proto, saved_model.proto), as deep as
// detection needs.
var (
	attrEntry = pbsniff.Schema{1: {Type: bytesT, Text: true}, 2: {Type: bytesT}}
	nodeShape = pbsniff.Schema{
		1: {Type: bytesT, Text: true, Once: true}, 2: {Type: bytesT, Text: true, Once: true},
		3: {Type: bytesT, Text: true}, 4: {Type: bytesT, Text: true, Once: true},
		5: {Type: bytesT, Msg: &attrEntry}, 6: {Type: bytesT}, 7: {Type: bytesT},
	}
	libraryShape = pbsniff.Schema{1: {Type: bytesT}, 2: {Type: bytesT}}
	versionShape = pbsniff.Schema{1: {Type: varintT}, 2: {Type: varintT}, 3: {Type: varintT}}
	graphShape   = pbsniff.Schema{
		1: {Type: bytesT, Msg: &nodeShape}, 2: {Type: bytesT, Msg: &libraryShape, Once: true},
		3: {Type: varintT}, 4: {Type: bytesT, Msg: &versionShape, Once: true}, 5: {Type: bytesT, Once: true},
	}
	metaInfoShape = pbsniff.Schema{
		1: {Type: bytesT, Text: true}, 2: {Type: bytesT}, 3: {Type: bytesT}, 4: {Type: bytesT, Text: true},
		5: {Type: bytesT, Text: true}, 6: {Type: bytesT, Text: true}, 7: {Type: varintT}, 8: {Type: bytesT},
	}
	metaShape = pbsniff.Schema{
		1: {Type: bytesT, Msg: &metaInfoShape, Once: true}, 2: {Type: bytesT, Msg: &graphShape, Once: true},
		3: {Type: bytesT, Once: true}, 4: {Type: bytesT}, 5: {Type: bytesT}, 6: {Type: bytesT},
		7: {Type: bytesT, Once: true},
	}
	savedShape = pbsniff.Schema{1: {Type: varintT, Once: true}, 2: {Type: bytesT, Msg: &metaShape}}
)

// binaryKind classifies a binary head by shape; a GraphDef and a
// MetaGraphDef can look alike, and then the GraphDef wins unless the
// first field reads as MetaInfoDef but not as a NodeDef.
func binaryKind(head []byte, size int64) kind {
	if len(head) < 2 {
		return kindNone
	}
	cut := size > int64(len(head))
	switch head[0] {
	case 0x08:
		if head[1] == 1 && fits(head, &savedShape, cut, 3) {
			return kindSaved
		}
	case 0x0a, 0x12, 0x22:
		if fits(head, &graphShape, cut, 2) {
			return kindGraph
		}
		if fits(head, &metaShape, cut, 2) {
			return kindMeta
		}
	}
	return kindNone
}

func fits(head []byte, s *pbsniff.Schema, cut bool, minFields int) bool {
	n, ok := pbsniff.Check(head, s, cut)
	return ok && n >= minFields
}

// Top-level field names of each message in text format.
var textNames = map[kind]map[string]bool{
	kindGraph: {"node": true, "versions": true, "library": true, "version": true, "debug_info": true},
	kindMeta: {"meta_info_def": true, "graph_def": true, "saver_def": true, "collection_def": true,
		"signature_def": true, "asset_file_def": true, "object_graph_def": true},
	kindSaved: {"saved_model_schema_version": true, "meta_graphs": true},
}

// textKind classifies a text-format head by its top-level field names.
func textKind(head []byte, size int64) kind {
	names, read, err := prototext.Scan(head, 64)
	if len(names) == 0 || (err != nil && !(size > int64(len(head)) && read > len(head)-1024)) {
		return kindNone
	}
	for _, k := range []kind{kindGraph, kindMeta, kindSaved} {
		all := true
		for _, n := range names {
			all = all && textNames[k][n]
		}
		if all {
			return k
		}
	}
	return kindNone
}

// detect is the registry's content check.
func detect(head []byte, size int64) model.Confidence {
	if binaryKind(head, size) != kindNone || textKind(head, size) != kindNone {
		return model.Plausible
	}
	return model.No
}

// savedModelFile returns the saved_model.pb (or .pbtxt) in dir, or "".
func savedModelFile(dir string) string {
	for _, name := range []string{"saved_model.pb", "saved_model.pbtxt"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// detectDir recognises a SavedModel folder.
func detectDir(dir string) model.Confidence {
	if savedModelFile(dir) != "" {
		return model.Strong
	}
	return model.No
}
