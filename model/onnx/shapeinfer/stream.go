package shapeinfer

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/modelpeek/modelpeek/model"
)

// A Stream is a Fill that runs while the main graph is still being
// decoded: the decoder hands its fields, then each batch of nodes, over as
// it decodes them, and inference runs on a goroutine of its own, done
// almost as soon as the decoding is. Fed the decoder's numbers of the
// names (StartNumbered), inference of a 500,000-node transformer keeps
// pace with its decoding on the other core: the read ends 10-15 ms after
// the last node is decoded.
type Stream struct {
	ctx     context.Context
	m       *model.Model
	g       *model.Graph // m's main graph when the stream started
	in      *Info
	batches chan batch
	closed  bool
	done    chan struct{}
	failed  string // a panic of inference and its stack, raised again by Finish
}

// batch is what the decoder hands over at once: nodes, or some of the
// graph's fields, or (both nil) the end of its fields.
type batch struct {
	nodes  []*model.Node
	ids    []int32 // a numbered stream's: each node's inputs', then outputs' numbers
	fields *fieldBatch
	// names is a numbered stream's lookup of the numbers of names, given
	// once they are all numbered.
	names func(string) (int32, bool)
}

// fieldBatch is some of a graph's initializers, or some of its list k
// of values (valueLists).
type fieldBatch struct {
	inits  []*model.Tensor
	values []*model.Value
	k      int
	ids    []int32 // a numbered stream's numbers of their names
}

// streamQueue is how many batches may wait for inference before the
// decoder waits in turn: enough that decoding never waits for a graph
// of a million nodes and as many values (it costs two words a batch). A
// smaller graph's queue is sized for its batches.
const streamQueue = 8192

// StartFill begins a Fill of m whose main graph's nodes are still to
// come: m's opsets and functions, and its main graph's initializers,
// inputs, outputs and value infos must be complete. nodes is how many
// nodes the graph will have (a size hint). The caller must end the
// stream with Finish or Stop.
func StartFill(ctx context.Context, m *model.Model, opt Options, nodes int) *Stream {
	g := m.Graph
	if g == nil {
		return StartFields(ctx, m, opt, Sizes{Nodes: nodes})
	}
	s := StartFields(ctx, m, opt, sizesOf(g, nodes))
	s.AddInitializers(g.Initializers, nil)
	for k, vs := range valueLists(g) {
		s.AddValues(ValueList(k), vs, nil)
	}
	s.EndFields()
	return s
}

// StartFields begins a Fill of m before its main graph's fields are
// decoded: m's opsets and functions must be complete, and m.Graph set.
// The graph's initializers come by AddInitializers, its inputs, value
// infos and outputs by AddValues (each list in order, each value also
// appended to the graph's list, which the stream reads once EndFields is
// called), then its nodes by Add. sizes are the
// graph's sizes (hints). The caller must end the stream with Finish or
// Stop.
func StartFields(ctx context.Context, m *model.Model, opt Options, sizes Sizes) *Stream {
	return startStream(ctx, m, opt, sizes, false)
}

// StartNumbered is StartFields for a caller that numbers the names of
// the graph's values (numbered.go): every Add, AddInitializers and
// AddValues then gives the numbers of what it hands over (a number of -1
// for an empty name), and Names, once every name is numbered, how to
// look one up. The numbers should be small: the stream keeps a slot for
// each number up to the largest.
func StartNumbered(ctx context.Context, m *model.Model, opt Options, sizes Sizes) *Stream {
	return startStream(ctx, m, opt, sizes, true)
}

// startStream starts a stream, numbered or not.
func startStream(ctx context.Context, m *model.Model, opt Options, sizes Sizes, numbered bool) *Stream {
	queue := min(streamQueue, 16+sizes.total()/64)
	s := &Stream{
		ctx:     ctx,
		m:       m,
		g:       m.Graph,
		batches: make(chan batch, queue),
		done:    make(chan struct{}),
	}
	go s.run(s.batches, fillOptions(m, opt), sizes, numbered)
	return s
}

// run sets up the Info as the graph's fields come (for big graphs that
// takes a while, while the decoder goes on) and infers the node batches
// in order until the stream is closed. After a cancellation or a panic,
// it only drains.
func (s *Stream) run(batches <-chan batch, opt Options, sizes Sizes, numbered bool) {
	defer close(s.done)
	defer func() {
		if p := recover(); p != nil {
			s.failed = fmt.Sprintf("%v\n%s", p, debug.Stack())
			for range batches {
			}
		}
	}()
	switch {
	case s.g == nil:
		s.in = newInfo(nil, opt, nil, 0)
	case numbered:
		s.in = startNumbered(opt, sizes)
	default:
		s.in = startInfo(opt, nil, sizes)
	}
	for b := range batches {
		if s.ctx.Err() != nil {
			continue
		}
		s.take(b, sizes.Nodes)
	}
	if !s.in.fields.ended && s.ctx.Err() == nil {
		s.in.endFields(s.g, sizes.Nodes) // a caller that did not end them
	}
}

// take applies one batch.
func (s *Stream) take(b batch, nodes int) {
	in := s.in
	switch f := b.fields; {
	case b.names != nil:
		if in.num != nil {
			in.num.lookup = b.names
		}
	case f != nil && f.inits != nil:
		in.addInitializers(f.inits, f.ids)
	case f != nil:
		in.noteValues(f.k, f.values, f.ids)
	default:
		if !in.fields.ended {
			in.endFields(s.g, nodes)
		}
		in.nodes(b.nodes, b.ids)
	}
}

// AddInitializers hands over the next initializers of the main graph,
// with their names' numbers for a numbered stream (else nil).
func (s *Stream) AddInitializers(ts []*model.Tensor, ids []int32) {
	if len(ts) > 0 {
		s.batches <- batch{fields: &fieldBatch{inits: ts, ids: ids}}
	}
}

// A ValueList names one of a graph's lists of values.
type ValueList int

// A graph's lists of values, in the order their stored types apply.
const (
	Inputs ValueList = iota
	ValueInfos
	Outputs
)

// AddValues hands over the next values of the main graph's list l, with
// their names' numbers for a numbered stream (else nil).
func (s *Stream) AddValues(l ValueList, vs []*model.Value, ids []int32) {
	if len(vs) > 0 && l >= Inputs && l <= Outputs {
		s.batches <- batch{fields: &fieldBatch{values: vs, k: int(l), ids: ids}}
	}
}

// Names gives a numbered stream the lookup of any name's number, once
// every name of the graph is numbered (after the last Add). The stream
// calls it from its goroutine until Finish returns.
func (s *Stream) Names(lookup func(string) (int32, bool)) {
	if lookup != nil {
		s.batches <- batch{names: lookup}
	}
}

// EndFields says that the main graph's fields have all been handed over
// and its lists are complete.
func (s *Stream) EndFields() { s.batches <- batch{} }

// Add hands over the next nodes of the main graph, in order, with the
// numbers of each node's inputs' and outputs' names, one after the other,
// for a numbered stream (else nil). They must not change afterwards.
func (s *Stream) Add(nodes []*model.Node, ids []int32) {
	if len(nodes) > 0 {
		s.batches <- batch{nodes: nodes, ids: ids}
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
