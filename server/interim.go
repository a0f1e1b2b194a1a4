package server

import (
	"context"

	"github.com/modelpeek/modelpeek/model"
)

// interimNodes is the node count from which a page's request for a view
// of the main graph other than the default one (every group open, say)
// lays the default view out first. Past it the wanted view takes seconds
// (a 500,000-node transformer: about 9 s from launch on 2 cores), while
// the default view, once the graph is prepared, takes tens of
// milliseconds (28 ms at 500,000 nodes, BenchmarkStages/layout-default):
// the page shows it meanwhile (loading.js interimView asks for it with
// ?cached=1 until it is there). Smaller graphs answer within a second,
// where an interim would only flash.
const interimNodes = 250_000

// interimFirst lays out, before the view key names, the default view of
// the same graph, and waits for it (cached or in the making, it is not
// laid out twice), when key is a page's (wire) view of a big main graph
// other than the default. It is the first step of that view's
// computation, on its goroutine: the two never share the cores. A layout
// error is left for the page's request to meet again; a cancelled ctx
// ends the wait.
func (s *Server) interimFirst(ctx context.Context, key graphKey, g *model.Graph) {
	opts, def := layoutOptions("", "")
	if key.path != "" || !key.wire || key.expand == def || model.CountNodes(g) < s.interimNodes {
		return
	}
	ikey := key
	ikey.expand = def
	select {
	case <-s.graphs.warm(ctx, ikey, s.viewBytes(ikey, g, opts)):
	case <-ctx.Done():
	}
}
