package layout

import (
	"context"
	"time"
)

// stage is one timed step of a layout, for the benchmarks' stage figures.
type stage int

// The stages, in the order a layout runs them.
const (
	stBuild    stage = iota // reduce the graph to boxes and connections
	stGroups                // the name-scope group tree
	stVisible               // open groups, visible boxes, sizes, edges
	stAcyclic               // break cycles
	stRanks                 // layering
	stDummies               // long edges into dummies, group borders
	stOrder                 // crossing reduction
	stPosition              // x coordinates
	stVertical              // y coordinates
	stPlace                 // the view's nodes
	stRoute                 // the view's edge routes
	stFrames                // group frames and normalisation
	numStages
)

// stageNames names the stages in benchmark metrics.
var stageNames = [numStages]string{"build", "groups", "visible", "acyclic", "ranks", "dummies",
	"order", "position", "vertical", "place", "route", "frames"}

// stageTimes accumulates time per stage, read from clock (a monotonic
// clock, or the process's CPU time in benchmarks on a busy machine).
type stageTimes struct {
	clock func() time.Duration
	d     [numStages]time.Duration
}

type stageKey struct{}

// withStageTimes returns a context under which a layout adds the time of
// each stage to t.
func withStageTimes(ctx context.Context, t *stageTimes) context.Context {
	return context.WithValue(ctx, stageKey{}, t)
}

// stageClock times consecutive stages; a nil clock (no stageTimes in the
// context) does nothing.
type stageClock struct {
	t    *stageTimes
	last time.Duration
}

// startClock returns a clock started now, or nil when ctx asks for no
// stage times.
func startClock(ctx context.Context) *stageClock {
	t, _ := ctx.Value(stageKey{}).(*stageTimes)
	if t == nil {
		return nil
	}
	return &stageClock{t: t, last: t.clock()}
}

// lap adds the time since the last lap to stage s.
func (c *stageClock) lap(s stage) {
	if c == nil {
		return
	}
	now := c.t.clock()
	c.t.d[s] += now - c.last
	c.last = now
}
