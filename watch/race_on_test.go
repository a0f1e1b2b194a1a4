//go:build race

package watch

// slack is added to latency budgets: the race detector slows everything
// down several times, and timing budgets are checked without it.
const slack = 700e6 // 700 ms, as a time.Duration constant
