//go:build !race

package watch

// slack is added to latency budgets (see race_on_test.go).
const slack = 0
