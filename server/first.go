package server

import "net/url"

// nameFirstModel adds model=<the first open model> to the query of a
// token exchange's redirect to the page when it names none, so the page
// knows which graph to ask for from its first bytes, without waiting for
// the model list (the model the page would show first anyway).
func (r *run) nameFirstModel(path string, q url.Values) {
	if path != "/" || q.Has("model") {
		return
	}
	if list := r.s.cfg.Library.List(); len(list) > 0 {
		q.Set("model", list[0].ID)
	}
}
