package shapeinfer

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/modelpeek/modelpeek/model"
)

// A Stream is a Fill that runs while the main graph's nodes are still
// being decoded: the decoder hands each batch of nodes over as it decodes
// them, and inference runs on a goroutine of its own. Decoding a graph and
// inferring it take about as long as each other (0.3 s each for 100,000
// nodes), so on two cores the model is ready in little more than the time
// of one.
type Stream struct {
	ctx     context.Context
	m       *model.Model
	g       *model.Graph // m's main graph when the stream started
	in      *Info
	batches chan []*model.Node
	closed  bool
	done    chan struct{}
	failed  string // a panic of inference and its stack, raised again by Finish
}

// streamQueue is how many batches may wait for inference before the
// decoder waits in turn: enough that decoding never waits for a graph
// of a million nodes (it costs a slice header per batch).
const streamQueue = 4096

// StartFill begins a Fill of m whose main graph's nodes are still to
// come: m's opsets and functions, and its main graph's initializers,
// inputs, outputs and value infos must be complete. nodes is how many
// nodes the graph will have (a size hint). The caller must end the
// stream with Finish or Stop.
func StartFill(ctx context.Context, m *model.Model, opt Options, nodes int) *Stream {
	s := &Stream{
		ctx:     ctx,
		m:       m,
		g:       m.Graph,
		batches: make(chan []*model.Node, streamQueue),
		done:    make(chan struct{}),
	}
	go s.run(s.batches, fillOptions(m, opt), nodes)
	return s
}

// run sets up the Info (the graph's stored types: for big graphs that
// takes a while, while the decoder goes on) and infers the batches in
// order until the stream is closed. After a cancellation or a panic, it
// only drains.
func (s *Stream) run(batches <-chan []*model.Node, opt Options, nodes int) {
	defer close(s.done)
	defer func() {
		if p := recover(); p != nil {
			s.failed = fmt.Sprintf("%v\n%s", p, debug.Stack())
			for range batches {
			}
		}
	}()
	s.in = newInfo(s.g, opt, nil, nodes)
	for b := range batches {
		if s.ctx.Err() != nil {
			continue
		}
		for _, n := range b {
			s.in.node(n)
		}
	}
}

// Add hands over the next nodes of the main graph, in order. They must
// not change afterwards.
func (s *Stream) Add(nodes []*model.Node) {
	if len(nodes) > 0 {
		s.batches <- nodes
	}
}

// Finish ends a stream whose nodes have all been added, once m is
// complete: it waits for their inference, then does the rest of Fill
// (recording the main graph's types, its subgraphs, the functions) and
// returns the main graph's Info. A panic of inference is raised again
// here, on the caller's goroutine.
func (s *Stream) Finish() *Info {
	s.Stop()
	if s.failed != "" {
		panic("shape inference: " + s.failed)
	}
	if s.ctx.Err() != nil {
		return s.in
	}
	s.in.finishGraph(s.ctx, s.g, 0)
	fillFunctions(s.ctx, s.m, s.in.opt)
	return s.in
}

// Stop ends the stream and waits for its goroutine (a failed decode's
// end; Finish calls it too). It may be called more than once.
func (s *Stream) Stop() {
	if !s.closed {
		s.closed = true
		close(s.batches)
	}
	<-s.done
}
