//go:build race

package tray_test

// raceEnabled: the race detector slows process exit down a lot on a
// loaded machine (measured: 540 ms from Run's return to exit, at load 18
// on 2 cores), so exit budgets are relaxed; Run's own return is not.
const raceEnabled = true
