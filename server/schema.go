package server

import (
	"net/http"
	"strconv"

	"github.com/modelpeek/modelpeek/model/onnx/opschema"
)

// schemaAnswer is GET /api/schema's answer: the operator version in force
// at the asked opset, every version the table knows, the official page.
type schemaAnswer struct {
	*opschema.Schema
	Versions []int64 `json:"versions"`
	URL      string  `json:"url"`
	// OnnxVersion names the python onnx release the table comes from.
	OnnxVersion string `json:"onnx_version"`
}

// handleSchema answers GET /api/schema?domain=D&op=OP&version=V: the ONNX
// operator schema of OP in domain D ("" or "ai.onnx" for the default one)
// at opset version V (absent: the newest). 404 for an operator the table
// does not know at that version.
func (r *run) handleSchema(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	op, domain := q.Get("op"), q.Get("domain")
	if op == "" || len(op) > 256 || len(domain) > 256 {
		jsonError(w, http.StatusBadRequest, "say which operator: ?op=NAME (at most 256 bytes), optionally &domain= and &version=")
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
	writeJSON(w, http.StatusOK, schemaAnswer{Schema: s, Versions: tb.Versions(domain, op), URL: opschema.URL(domain, op), OnnxVersion: tb.OnnxVersion})
}
