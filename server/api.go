package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// previewValues is how many tensor values the tensor route returns.
const previewValues = 1000

// maxPathDepth bounds the subgraph path of the graph and node routes.
const maxPathDepth = 64

func (r *run) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, r.api(h)) }
	api("GET /api/models", r.handleList)
	api("GET /api/models/{id}", r.handleModel)
	api("DELETE /api/models/{id}", r.handleClose)
	api("GET /api/models/{id}/graph", r.handleGraph)
	api("GET /api/models/{id}/node", r.handleNode)
	api("GET /api/models/{id}/diff", r.handleDiff)
	api("GET /api/models/{id}/previous/graph", r.handlePreviousGraph)
	api("GET /api/models/{id}/cost", r.handleCost)
	api("GET /api/models/{id}/tensors/{name...}", r.handleTensor)
	api("GET /api/models/{id}/params", r.handleParams)
	r.valueRoutes(api)
	api("POST /api/models/{id}/watch", r.handleModelWatch)
	api("POST /api/watch", r.handleWatch)
	api("POST /api/upload", r.handleUpload)
	api("GET /api/events", r.handleEvents)
	api("GET /api/schema", r.handleSchema)
	api("POST /api/quit", r.handleQuit)
	api("/api/", func(w http.ResponseWriter, _ *http.Request) {
		jsonError(w, http.StatusNotFound, "no such API route")
	})
	mux.Handle("/", r.page(r.static()))
	return mux
}

// static serves the embedded UI without directory listings.
func (r *run) static() http.Handler {
	web := r.s.cfg.Web
	if web == nil {
		return http.NotFoundHandler()
	}
	fs := http.FileServerFS(web)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/" && strings.HasSuffix(req.URL.Path, "/") {
			http.NotFound(w, req)
			return
		}
		if page := r.s.index.html; page != nil && (req.URL.Path == "/" || req.URL.Path == "/index.html") {
			serveIndex(w, req, page)
			return
		}
		if css := r.s.index.css; css != nil && req.URL.Path == "/"+joinedCSS {
			serveCSS(w, req, css)
			return
		}
		fs.ServeHTTP(w, req)
	})
}

type apiError struct {
	Error string `json:"error"`
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(apiError{Error: "cannot encode the response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// deadline sets the write deadline of a normal response.
func (r *run) deadline(w http.ResponseWriter) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(r.s.cfg.WriteTimeout))
}

// handleQuit answers 204 and then asks the app to quit (Config.Quit).
// The answer is flushed first: the app's shutdown, which the call starts,
// lets this request finish within its grace period.
func (r *run) handleQuit(w http.ResponseWriter, _ *http.Request) {
	quit := r.s.cfg.Quit
	if quit == nil {
		jsonError(w, http.StatusNotFound, "no such API route")
		return
	}
	r.deadline(w)
	w.WriteHeader(http.StatusNoContent)
	if err := http.NewResponseController(w).Flush(); err != nil {
		r.s.cfg.Logger.Debug("quit: the answer was not flushed", "err", err)
	}
	quit()
}

func (r *run) handleList(w http.ResponseWriter, req *http.Request) {
	r.deadline(w)
	list := r.s.cfg.Library.List()
	if list == nil {
		list = []ModelInfo{}
	}
	writeJSON(w, http.StatusOK, list)
}

// getModel loads the model named in the URL, answering the error itself.
func (r *run) getModel(w http.ResponseWriter, req *http.Request) (ModelInfo, *model.Model, bool) {
	info, m, err := r.s.cfg.Library.Get(req.Context(), req.PathValue("id"))
	switch {
	case errors.Is(err, ErrNotFound):
		jsonError(w, http.StatusNotFound, "no such model (it may have been closed)")
		return info, nil, false
	case err != nil:
		if req.Context().Err() == nil {
			jsonError(w, http.StatusServiceUnavailable, err.Error())
		}
		return info, nil, false
	}
	return info, m, true
}

// modelMeta is the model-level part of GET /api/models/{id}.
type modelMeta struct {
	Format      string            `json:"format"`
	Producer    string            `json:"producer"`
	Version     string            `json:"version"`
	Description string            `json:"description"`
	Opsets      []model.Opset     `json:"opsets"`
	Metadata    map[string]string `json:"metadata"`
	Properties  []model.Property  `json:"properties"`
	Warnings    []string          `json:"warnings"`
	Files       []string          `json:"files"`
}

type modelDetail struct {
	ModelInfo
	Model   *modelMeta     `json:"model"`
	Summary *model.Summary `json:"summary"`
	// Entries are the graphs a user can start from: the main graph, then
	// every function or entry graph ("fN"), each with the signature that
	// runs it when there is one.
	Entries []entryGraph `json:"entries"`
	// Weights counts the summary's tensors by dtype when ?brief=1 left
	// the list out (see brief.go).
	Weights *weightCounts `json:"weights,omitempty"`
}

// entryGraph is one root graph of a model, for the page's graph selector.
type entryGraph struct {
	Path      string `json:"path"`
	Name      string `json:"name"`
	Nodes     int    `json:"nodes"`
	Signature string `json:"signature,omitempty"`
}

// entries lists the model's root graphs.
func entries(m *model.Model) []entryGraph {
	sig := map[string]string{}
	for _, s := range m.Signatures {
		if _, ok := sig[s.Graph]; !ok {
			sig[s.Graph] = s.Key
		}
	}
	out := []entryGraph{{Path: "", Name: orName(m.Graph.Name, "main graph"), Nodes: len(m.Graph.Nodes), Signature: sig[""]}}
	for i, f := range m.Functions {
		if f == nil {
			continue
		}
		p := model.FunctionPath(i)
		out = append(out, entryGraph{Path: p, Name: orName(f.Name, p), Nodes: len(f.Nodes), Signature: sig[p]})
	}
	return out
}

func orName(name, fallback string) string {
	if name == "" {
		return fallback
	}
	return name
}

func (r *run) handleModel(w http.ResponseWriter, req *http.Request) {
	info, m, ok := r.getModel(w, req)
	if !ok {
		return
	}
	r.deadline(w)
	d := modelDetail{ModelInfo: info}
	if m != nil {
		d.Model = &modelMeta{
			Format:      m.Format,
			Producer:    m.Producer,
			Version:     m.Version,
			Description: m.Description,
			Opsets:      orEmpty(m.Opsets),
			Metadata:    m.Metadata,
			Properties:  orEmpty(m.Properties),
			Warnings:    orEmpty(m.Warnings),
			Files:       orEmpty(m.Files),
		}
		if d.Model.Metadata == nil {
			d.Model.Metadata = map[string]string{}
		}
		s := model.Summarize(m)
		d.Summary = &s
		if req.URL.Query().Get("brief") == "1" {
			d.brief()
		}
		if m.Graph != nil {
			d.Entries = entries(m)
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (r *run) handleClose(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	if err := r.s.cfg.Library.Close(id); err != nil {
		if errors.Is(err, ErrNotFound) {
			jsonError(w, http.StatusNotFound, "no such model")
			return
		}
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	r.s.DropLayouts(id, math.MaxInt)
	w.WriteHeader(http.StatusNoContent)
}

// readSwitch decodes the {"on": bool} body of the watch routes.
func readSwitch(w http.ResponseWriter, req *http.Request) (bool, bool) {
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "application/json" {
		jsonError(w, http.StatusUnsupportedMediaType, "send JSON: {\"on\": true|false}")
		return false, false
	}
	var body struct {
		On *bool `json:"on"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, 4096))
	if err := dec.Decode(&body); err != nil || body.On == nil {
		jsonError(w, http.StatusBadRequest, "send JSON: {\"on\": true|false}")
		return false, false
	}
	return *body.On, true
}

func (r *run) handleModelWatch(w http.ResponseWriter, req *http.Request) {
	on, ok := readSwitch(w, req)
	if !ok {
		return
	}
	if err := r.s.cfg.Library.SetModelWatching(req.PathValue("id"), on); err != nil {
		if errors.Is(err, ErrNotFound) {
			jsonError(w, http.StatusNotFound, "no such model")
			return
		}
		jsonError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *run) handleWatch(w http.ResponseWriter, req *http.Request) {
	on, ok := readSwitch(w, req)
	if !ok {
		return
	}
	r.s.cfg.Library.SetWatching(on)
	w.WriteHeader(http.StatusNoContent)
}

// getGraph resolves the request's model and its ?path= subgraph (see
// resolveGraph), answering the error itself when either is missing.
func (r *run) getGraph(w http.ResponseWriter, req *http.Request) (ModelInfo, []*model.Graph, bool) {
	info, m, ok := r.getModel(w, req)
	if !ok {
		return info, nil, false
	}
	if m == nil {
		jsonError(w, http.StatusUnprocessableEntity, info.Error)
		return info, nil, false
	}
	chain, err := resolveGraph(m, req.URL.Query().Get("path"))
	if err != nil {
		jsonError(w, http.StatusNotFound, err.Error())
		return info, nil, false
	}
	return info, chain, true
}

// resolveGraph follows a subgraph path ("" = main graph, else
// "node.subgraph" segments joined by "/", the first of which may be "fN"
// for the model's function or entry graph N) and returns the chain of
// graphs from the root (main or function) to the selected one.
func resolveGraph(m *model.Model, path string) ([]*model.Graph, error) {
	if m.Graph == nil {
		return nil, errors.New("this model has no graph")
	}
	g := m.Graph
	segs := strings.Split(path, "/")
	if path == "" {
		segs = nil
	}
	if len(segs) > maxPathDepth {
		return nil, fmt.Errorf("graph path is deeper than %d levels", maxPathDepth)
	}
	if len(segs) > 0 && strings.HasPrefix(segs[0], "f") {
		k, err := strconv.Atoi(segs[0][1:])
		if err != nil || k < 0 || k >= len(m.Functions) || m.Functions[k] == nil {
			return nil, fmt.Errorf("graph path: no function graph %q (the model has %d)", segs[0], len(m.Functions))
		}
		g, segs = m.Functions[k], segs[1:]
	}
	chain := []*model.Graph{g}
	for _, seg := range segs {
		ns, ss, ok := strings.Cut(seg, ".")
		ni, err1 := strconv.Atoi(ns)
		si, err2 := strconv.Atoi(ss)
		if !ok || err1 != nil || err2 != nil || ni < 0 || si < 0 {
			return nil, fmt.Errorf("bad graph path segment %q (want node.subgraph, e.g. 3.0)", seg)
		}
		if ni >= len(g.Nodes) {
			return nil, fmt.Errorf("graph path: no node %d (the graph has %d)", ni, len(g.Nodes))
		}
		subs := g.Nodes[ni].Subgraphs()
		if si >= len(subs) {
			return nil, fmt.Errorf("graph path: node %d has no subgraph %d", ni, si)
		}
		g = subs[si]
		if g == nil {
			return nil, fmt.Errorf("graph path: node %d subgraph %d is empty", ni, si)
		}
		chain = append(chain, g)
	}
	return chain, nil
}

// layoutOptions parses the expand parameter ("all" or a comma list of
// group IDs to open) and the collapse parameter (group IDs to close, even
// those that open by default). The normalised form is part of the cache key.
func layoutOptions(expand, collapse string) (layout.Options, string) {
	closed := groupList(collapse)
	if expand == "all" {
		return layout.Options{ExpandAll: true, Collapsed: closed}, "all|" + strings.Join(closed, ",")
	}
	open := groupList(expand)
	return layout.Options{Expanded: open, Collapsed: closed}, strings.Join(open, ",") + "|" + strings.Join(closed, ",")
}

// groupList splits a comma list of group IDs, sorted and without repeats.
func groupList(s string) []string {
	var ids []string
	for _, g := range strings.Split(s, ",") {
		if g != "" {
			ids = append(ids, g)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (r *run) handleGraph(w http.ResponseWriter, req *http.Request) {
	info, chain, ok := r.getGraph(w, req)
	if !ok {
		return
	}
	q := req.URL.Query()
	path := q.Get("path")
	g := chain[len(chain)-1]
	opts, expand := layoutOptions(q.Get("expand"), q.Get("collapse"))
	wire := wantsWire(req)
	key := graphKey{id: info.ID, version: info.Version, path: path, expand: expand, wire: wire}
	if q.Get("cached") == "1" {
		// Only if laid out already: the page asks so for a view to show
		// while the one it wants is still being laid out.
		gz, ok := r.s.graphs.peek(key)
		if !ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		r.answerView(w, req, gz, wire)
		return
	}
	r.s.DropLayouts(info.ID, info.Version)
	gz, err := r.s.graphs.get(req.Context(), key, r.s.viewBytes(key, g, opts))
	r.s.dropStale(req.Context(), info)
	if err != nil {
		if req.Context().Err() != nil {
			return // the client left or the server is stopping
		}
		jsonError(w, http.StatusUnprocessableEntity, "cannot lay out this graph: "+err.Error())
		return
	}
	r.answerView(w, req, gz, wire)
}

// answerView answers with a view, gzipped as cached (gz) when the client
// takes gzip, or as the gzip bytes themselves when it asks for a packed
// compact view that is not too big for that.
func (r *run) answerView(w http.ResponseWriter, req *http.Request, gz []byte, wire bool) {
	r.deadline(w)
	h := w.Header()
	h.Set("Content-Type", viewContentType(wire))
	h.Set("Vary", "Accept-Encoding")
	body := gz
	var err error
	if wire && wantsPacked(req) && packable(gz) {
		h.Set("Content-Type", packedType)
	} else if acceptsGzip(req) {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = gunzip(gz); err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(req *http.Request) bool {
	for _, part := range strings.Split(req.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimSpace(params), "=")
		if strings.TrimSpace(k) == "q" {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
				return false
			}
		}
		return true
	}
	return false
}

// valueRef is one input or output of a node in GET .../node.
type valueRef struct {
	Name string      `json:"name"`
	Type *model.Type `json:"type"`
	// Tensor is the initializer or constant behind the value (through
	// Identity nodes), with its values when it is tiny.
	Tensor *model.Tensor `json:"tensor,omitempty"`
	// From names the initializer an Identity chain forwards, when the
	// value is not the initializer itself.
	From string `json:"from,omitempty"`
	// Doc is the value's description (TFLite quantization of activations).
	Doc string `json:"doc,omitempty"`
}

type nodeDetail struct {
	Node    *model.Node `json:"node"`
	Inputs  []valueRef  `json:"inputs"`
	Outputs []valueRef  `json:"outputs"`
}

// scope finds value types and initializers by name, innermost graph first.
type scope struct {
	types   map[string]*model.Type
	docs    map[string]string
	tensors map[string]*model.Tensor
	// from maps a value forwarded by Identity nodes to the tensor's name.
	from map[string]string
}

func newScope(chain []*model.Graph) *scope {
	s := &scope{types: map[string]*model.Type{}, docs: map[string]string{}, tensors: map[string]*model.Tensor{}, from: map[string]string{}}
	for _, g := range chain { // outer first; inner graphs shadow
		for _, vs := range [][]*model.Value{g.Inputs, g.Outputs, g.ValueInfo} {
			for _, v := range vs {
				if v != nil && v.Type != nil {
					s.types[v.Name] = v.Type
				}
				if v != nil && v.Doc != "" {
					s.docs[v.Name] = v.Doc
				}
			}
		}
		for _, t := range g.Initializers {
			if t != nil {
				s.tensors[t.Name] = t
			}
		}
		s.constants(g)
	}
	return s
}

// constants records the tensors of Constant nodes and follows Identity
// nodes that forward a known tensor (in node order, so chains resolve).
func (s *scope) constants(g *model.Graph) {
	for _, n := range g.Nodes {
		if n == nil || len(n.Outputs) != 1 || s.tensors[n.Outputs[0]] != nil {
			continue
		}
		if t := model.ConstantTensor(n); t != nil {
			s.tensors[n.Outputs[0]] = t
			continue
		}
		if n.OpType != "Identity" || n.Domain != "" || len(n.Inputs) != 1 {
			continue
		}
		if t := s.tensors[n.Inputs[0]]; t != nil {
			s.tensors[n.Outputs[0]] = t
			s.from[n.Outputs[0]] = cmp.Or(s.from[n.Inputs[0]], n.Inputs[0])
		}
	}
}

func (s *scope) ref(name string) valueRef {
	v := valueRef{Name: name, Type: s.types[name], Tensor: model.WithValues(s.tensors[name]), From: s.from[name], Doc: s.docs[name]}
	if v.Type == nil && v.Tensor != nil {
		v.Type = &model.Type{Kind: model.KindTensor, DType: v.Tensor.DType, Shape: model.ShapeOf(v.Tensor.Shape)}
	}
	return v
}

func (r *run) handleNode(w http.ResponseWriter, req *http.Request) {
	_, chain, ok := r.getGraph(w, req)
	if !ok {
		return
	}
	q := req.URL.Query()
	g := chain[len(chain)-1]
	i, err := strconv.Atoi(q.Get("index"))
	if err != nil || i < 0 || i >= len(g.Nodes) {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("no node %q in this graph (it has %d)", q.Get("index"), len(g.Nodes)))
		return
	}
	n := g.Nodes[i]
	sc := newScope(chain)
	d := nodeDetail{Node: n, Inputs: []valueRef{}, Outputs: []valueRef{}}
	for _, name := range n.Inputs {
		d.Inputs = append(d.Inputs, sc.ref(name))
	}
	for _, name := range n.Outputs {
		d.Outputs = append(d.Outputs, sc.ref(name))
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, d)
}

// findTensor looks a tensor up by name: initializers from the innermost
// graph outwards, then tensors held by node attributes (Constant values).
func findTensor(chain []*model.Graph, name string) *model.Tensor {
	for i := len(chain) - 1; i >= 0; i-- {
		for _, t := range chain[i].Initializers {
			if t != nil && t.Name == name {
				return t
			}
		}
	}
	for _, n := range chain[len(chain)-1].Nodes {
		for _, a := range n.Attrs {
			for _, t := range a.Tensors {
				if t != nil && t.Name == name {
					return t
				}
			}
		}
	}
	return nil
}

func (r *run) handleTensor(w http.ResponseWriter, req *http.Request) {
	_, chain, ok := r.getGraph(w, req)
	if !ok {
		return
	}
	name := req.PathValue("name")
	t := findTensor(chain, name)
	if t == nil {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("no tensor named %q in this graph", name))
		return
	}
	p, err := readPreview(t)
	if err != nil {
		jsonError(w, http.StatusUnprocessableEntity, "cannot show values: "+err.Error())
		return
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, p)
}

// readPreview calls model.ReadPreview, turning a panic into an error.
func readPreview(t *model.Tensor) (p *model.Preview, err error) {
	defer func() {
		if v := recover(); v != nil {
			p, err = nil, fmt.Errorf("internal error reading tensor values: %v", v)
		}
	}()
	return model.ReadPreview(t, previewValues)
}
