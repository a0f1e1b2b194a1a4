package server

import (
	"net/http"
	"strconv"

	"github.com/modelpeek/modelpeek/model/onnx/opschema"
	"github.com/modelpeek/modelpeek/model/tflite/optschema"
)

// schemaAnswer is GET /api/schema's answer: the operator version in force
// at the asked opset, every version the table knows, the official page.
type schemaAnswer struct {
	*opschema.Schema
	Versions []int64 `json:"versions"`
	URL      string  `json:"url"`
	// OnnxVersion names the python onnx release the table comes from.
	OnnxVersion string `json:"onnx_version"`
	// TableOpset is the newest opset of the domain the table knows; a
	// newer asked version may have operator versions it lacks.
	TableOpset int64 `json:"table_opset"`
}

// handleSchema answers GET /api/schema?domain=D&op=OP&version=V: the ONNX
// operator schema of OP in domain D ("" or "ai.onnx" for the default one)
// at opset version V (absent: the newest); with domain=tflite, the builtin
// operator OP's options table. 404 for an operator the tables do not know
// (at that version).
func (r *run) handleSchema(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	op, domain := q.Get("op"), q.Get("domain")
	if op == "" || len(op) > 256 || len(domain) > 256 {
		jsonError(w, http.StatusBadRequest, "say which operator: ?op=NAME (at most 256 bytes), optionally &domain= and &version=")
		return
	}
	if domain == tfliteDomain {
		r.tfliteSchema(w, op)
		return
	}
	var version int64
	if v := q.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			jsonError(w, http.StatusBadRequest, "version must be an opset number")
			return
		}
		version = n
	}
	tb, err := opschema.Load()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s, ok := tb.Lookup(domain, op, version)
	if !ok {
		jsonError(w, http.StatusNotFound, "no schema for this operator at this opset version")
		return
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, schemaAnswer{Schema: s, Versions: tb.Versions(domain, op), URL: opschema.URL(domain, op),
		OnnxVersion: tb.OnnxVersion, TableOpset: tb.MaxOpset(domain)})
}

// tfliteDomain is the domain= that asks for a TFLite builtin operator.
const tfliteDomain = "tflite"

// tfliteAnswer is GET /api/schema?domain=tflite's answer: the builtin
// operator, its options table's fields and the enums they use.
type tfliteAnswer struct {
	optschema.Op
	Domain string              `json:"domain"`
	Fields []optschema.Field   `json:"fields"`
	Enums  map[string][]string `json:"enums"`
}

func (r *run) tfliteSchema(w http.ResponseWriter, op string) {
	tb, err := optschema.Load()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	o, ok := tb.Lookup(op)
	if !ok {
		jsonError(w, http.StatusNotFound, "no such TFLite builtin operator")
		return
	}
	a := tfliteAnswer{Op: o, Domain: tfliteDomain, Fields: tb.Fields(o.Options), Enums: map[string][]string{}}
	if a.Fields == nil {
		a.Fields = []optschema.Field{}
	}
	for _, f := range a.Fields {
		if e := tb.Enum(f.Type); e != nil {
			a.Enums[f.Type] = e
		}
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, a)
}
