package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/ggml"
)

// Tensor value routes: whole-tensor statistics with a histogram,
// per-channel ranges, pages of values, a .npy download, and the model's
// parameter count. Reads of whole tensors are bounded: at most
// maxTensorReads at once (more get 503), each within statsBudget (past it
// the answer is marked sampled).
const (
	maxTensorReads = 2
	statsBudget    = 5 * time.Second
	statsBins      = 48
	// npyIdle is the write deadline of each chunk of a .npy download.
	npyIdle = 30 * time.Second
)

// valueRoutes adds the routes; api registers a guarded handler.
func (r *run) valueRoutes(api func(string, http.HandlerFunc)) {
	api("GET /api/models/{id}/stats/{name...}", r.handleStats)
	api("GET /api/models/{id}/channels/{name...}", r.handleChannels)
	api("GET /api/models/{id}/values/{name...}", r.handleValues)
	api("GET /api/models/{id}/npy/{name...}", r.handleNpy)
	api("GET /api/models/{id}/paramcount", r.handleParamCount)
}

// tensorOf resolves the model, graph path and tensor name of a request:
// initializers and Constant tensors, also through Identity nodes. It
// answers the error itself.
func (r *run) tensorOf(w http.ResponseWriter, req *http.Request) (*model.Model, *model.Tensor, bool) {
	_, m, ok := r.getModel(w, req)
	if !ok {
		return nil, nil, false
	}
	if m == nil || m.Graph == nil {
		jsonError(w, http.StatusUnprocessableEntity, "this model has no graph")
		return nil, nil, false
	}
	chain, err := resolveGraph(m, req.URL.Query().Get("path"))
	if err != nil {
		jsonError(w, http.StatusNotFound, err.Error())
		return nil, nil, false
	}
	name := req.PathValue("name")
	t := findTensor(chain, name)
	if t == nil {
		t = newScope(chain).tensors[name]
	}
	if t == nil {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("no tensor named %q in this graph", name))
		return nil, nil, false
	}
	return m, t, true
}

// acquire takes one of the tensor read slots, answering 503 when all are
// busy.
func (r *run) acquire(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case r.s.reads <- struct{}{}:
		return func() { <-r.s.reads }, true
	default:
		w.Header().Set("Retry-After", "1")
		jsonError(w, http.StatusServiceUnavailable, "other tensors are being read; try again in a moment")
		return nil, false
	}
}

// readError answers a failed tensor read: 422 for tensors whose values
// cannot be decoded or read, nothing when the client left.
func readError(w http.ResponseWriter, req *http.Request, err error) {
	if req.Context().Err() != nil {
		return
	}
	jsonError(w, http.StatusUnprocessableEntity, "cannot read the values: "+err.Error())
}

// statsAnswer is GET .../stats/{name}: the statistics with what explains
// the values (quantization parameters, the ggml block layout).
type statsAnswer struct {
	Stats *model.Stats        `json:"stats"`
	Quant *model.Quantization `json:"quant,omitempty"`
	Block *blockInfo          `json:"block,omitempty"`
	// Dims is the shape in storage order (slowest first), the order
	// of the values and of the .npy download.
	Dims []int64 `json:"dims"`
}

// blockInfo describes a ggml block-quantized type.
type blockInfo struct {
	Type   string  `json:"type"`
	Values int     `json:"values"`
	Bytes  int     `json:"bytes"`
	Bits   float64 `json:"bitsPerValue"`
}

func (r *run) handleStats(w http.ResponseWriter, req *http.Request) {
	m, t, ok := r.tensorOf(w, req)
	if !ok {
		return
	}
	release, ok := r.acquire(w)
	if !ok {
		return
	}
	defer release()
	s, err := safely(func() (*model.Stats, error) {
		return model.ReadStats(req.Context(), t, model.StatsOptions{Budget: statsBudget, Bins: statsBins})
	})
	if err != nil {
		readError(w, req, err)
		return
	}
	a := statsAnswer{Stats: s, Quant: t.Quant, Dims: storageDims(m, t)}
	if b, ok := ggml.Lookup(string(t.DType)); ok {
		a.Block = &blockInfo{Type: string(t.DType), Values: b.Values, Bytes: b.Bytes, Bits: float64(8*b.Bytes) / float64(b.Values)}
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, a)
}

// storageDims is t's shape slowest dimension first: GGUF lists ne, the
// fastest first, so its shape is reversed.
func storageDims(m *model.Model, t *model.Tensor) []int64 {
	d := slices.Clone(t.Shape)
	if d == nil {
		d = []int64{}
	}
	if m.Format == "gguf" {
		slices.Reverse(d)
	}
	return d
}

// defaultAxis is the output-channel axis of t in storage order: the
// per-channel quantization axis when there is one, else the one its
// consumer's output channels run along (the last for MatMul's and Gemm's
// B, TFLite's depthwise filters; the second for ConvTranspose), else the
// first.
func defaultAxis(t *model.Tensor, m *model.Model, g *model.Graph, name string) int {
	if q := t.Quant; q != nil && len(q.Scale) > 1 && q.Axis >= 0 && int(q.Axis) < len(t.Shape) && m.Format != "gguf" {
		return int(q.Axis)
	}
	last := max(len(t.Shape)-1, 0)
	for _, n := range g.Nodes {
		if n == nil || len(n.Inputs) < 2 || n.Inputs[1] != name {
			continue
		}
		switch n.OpType {
		case "MatMul", "MatMulInteger", "DEPTHWISE_CONV_2D":
			return last
		case "Gemm":
			for _, a := range n.Attrs {
				if a.Name == "transB" && a.Int != 0 {
					return 0
				}
			}
			return last
		case "ConvTranspose":
			return min(1, last)
		}
		return 0
	}
	return 0
}

func (r *run) handleChannels(w http.ResponseWriter, req *http.Request) {
	m, t, ok := r.tensorOf(w, req)
	if !ok {
		return
	}
	dims := storageDims(m, t)
	chain, _ := resolveGraph(m, req.URL.Query().Get("path"))
	axis := defaultAxis(t, m, chain[len(chain)-1], req.PathValue("name"))
	if s := req.URL.Query().Get("axis"); s != "" {
		a, err := strconv.Atoi(s)
		if err != nil || a < 0 || a >= len(dims) {
			jsonError(w, http.StatusBadRequest, fmt.Sprintf("axis %q: want 0 to %d", s, len(dims)-1))
			return
		}
		axis = a
	}
	if len(dims) < 2 {
		jsonError(w, http.StatusUnprocessableEntity, "per-channel ranges need a tensor of rank 2 or more")
		return
	}
	release, ok := r.acquire(w)
	if !ok {
		return
	}
	defer release()
	c, err := safely(func() (*model.Channels, error) {
		return model.ReadChannels(req.Context(), t, dims, axis, statsBudget)
	})
	if err != nil {
		readError(w, req, err)
		return
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, c)
}

// valuesAnswer is one page of values.
type valuesAnswer struct {
	Name   string  `json:"name"`
	Offset int64   `json:"offset"`
	Count  int64   `json:"count"`
	Total  int64   `json:"total"`
	Dims   []int64 `json:"dims"`
	Values []any   `json:"values"`
}

func (r *run) handleValues(w http.ResponseWriter, req *http.Request) {
	m, t, ok := r.tensorOf(w, req)
	if !ok {
		return
	}
	q := req.URL.Query()
	offset, err1 := strconv.ParseInt(cmpOr(q.Get("offset"), "0"), 10, 64)
	count, err2 := strconv.ParseInt(cmpOr(q.Get("count"), "256"), 10, 64)
	if err1 != nil || err2 != nil || offset < 0 || count < 0 {
		jsonError(w, http.StatusBadRequest, "offset and count are whole numbers ≥ 0")
		return
	}
	total, ok := model.NumElements(t.Shape)
	if !ok || offset > total {
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("offset %d is past the tensor's values", offset))
		return
	}
	release, ok := r.acquire(w)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(req.Context(), statsBudget)
	defer cancel()
	vs, err := safely(func() ([]float64, error) { return model.ReadValues(ctx, t, offset, count) })
	if err != nil {
		readError(w, req, err)
		return
	}
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = model.JSONNumber(v)
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, valuesAnswer{Name: t.Name, Offset: offset, Count: int64(len(vs)), Total: total, Dims: storageDims(m, t), Values: out})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// handleParamCount answers the model's parameter counts (model.CountParams).
func (r *run) handleParamCount(w http.ResponseWriter, req *http.Request) {
	info, m, ok := r.getModel(w, req)
	if !ok {
		return
	}
	if m == nil {
		jsonError(w, http.StatusUnprocessableEntity, info.Error)
		return
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, model.CountParams(m))
}

// safely runs a tensor read, turning a panic into an error.
func safely[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error reading tensor values: %v", p)
		}
	}()
	return f()
}

// npyType is the numpy type a tensor is saved as: its values as read
// (dequantized): 64-bit floats for float64, 64-bit integers for plain
// integers and booleans, else 32-bit floats.
func npyType(t *model.Tensor) (descr string, size int, put func([]byte, float64)) {
	s := string(t.DType)
	quant := t.Quant != nil && len(t.Quant.Scale) > 0
	switch {
	case s == "float64":
		return "<f8", 8, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(v)) }
	case !quant && (strings.HasPrefix(s, "int") || strings.HasPrefix(s, "uint") || s == "bool"):
		return "<i8", 8, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, uint64(int64(v))) }
	}
	return "<f4", 4, func(b []byte, v float64) { binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v))) }
}

// npyHeader is the .npy version 1.0 header of a C-order array.
func npyHeader(descr string, dims []int64) []byte {
	var sh strings.Builder
	sh.WriteByte('(')
	for _, d := range dims {
		sh.WriteString(strconv.FormatInt(d, 10))
		sh.WriteString(", ")
	}
	s := sh.String()
	if len(dims) > 1 {
		s = strings.TrimSuffix(s, " ")
		s = strings.TrimSuffix(s, ",")
	} else {
		s = strings.TrimSuffix(s, " ")
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s), }", descr, s)
	n := 10 + len(dict) + 1
	pad := (64 - n%64) % 64
	h := make([]byte, 0, n+pad)
	h = append(h, "\x93NUMPY\x01\x00"...)
	h = binary.LittleEndian.AppendUint16(h, uint16(len(dict)+pad+1))
	h = append(h, dict...)
	for range pad {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

// npyName is a safe download name for a tensor.
func npyName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	s := strings.Trim(string(b), ".")
	if len(s) > 120 {
		s = s[:120]
	}
	return cmpOr(s, "tensor") + ".npy"
}

func (r *run) handleNpy(w http.ResponseWriter, req *http.Request) {
	m, t, ok := r.tensorOf(w, req)
	if !ok {
		return
	}
	if _, err := model.ReadValues(req.Context(), t, 0, 0); err != nil {
		readError(w, req, err)
		return
	}
	release, ok := r.acquire(w)
	if !ok {
		return
	}
	defer release()
	descr, size, put := npyType(t)
	dims := storageDims(m, t)
	total, _ := model.NumElements(dims)
	head := npyHeader(descr, dims)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+npyName(t.Name)+`"`)
	if total <= (math.MaxInt64-int64(len(head)))/int64(size) {
		h.Set("Content-Length", strconv.FormatInt(int64(len(head))+total*int64(size), 10))
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(npyIdle))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(head); err != nil {
		return
	}
	buf := make([]byte, 0, 64<<10)
	_, err := safely(func() (int64, error) {
		return model.StreamValues(req.Context(), t, func(vs []float64) error {
			for _, v := range vs {
				buf = buf[:len(buf)+size]
				put(buf[len(buf)-size:], v)
				if len(buf)+size > cap(buf) {
					rc.SetWriteDeadline(time.Now().Add(npyIdle))
					if _, err := w.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
			return nil
		})
	})
	if err == nil && len(buf) > 0 {
		_, err = w.Write(buf)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		r.s.log.Debug("npy download ended early", "tensor", t.Name, "err", err)
	}
}
