package server

// weightCounts is what the page's model panel shows of the weights: how
// many, and how many of each dtype.
type weightCounts struct {
	Count  int            `json:"count"`
	DTypes map[string]int `json:"dtypes"`
}

// brief leaves the list of every weight out of the model detail (the bulk
// of it: half a megabyte for a 10,000-node transformer) and counts them
// instead; GET /api/models/{id}?brief=1 is what the page asks for first.
func (d *modelDetail) brief() {
	w := &weightCounts{DTypes: map[string]int{}}
	for _, t := range d.Summary.Tensors {
		w.Count++
		w.DTypes[string(t.DType)]++
	}
	d.Summary.Tensors = nil
	d.Weights = w
}
