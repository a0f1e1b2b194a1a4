package proc

import (
	"testing"
	"time"
)

// TestStages checks the summary of a debug log's stage lines: the times
// relative to t0, the durations in ms, other lines left out.
func TestStages(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 22, 16, 49, 100e6, time.UTC)
	log := `time=2026-12-07T22:16:49.000Z level=DEBUG msg="huge pages: heap advised" MiB=1028
time=2026-12-07T22:16:49.640Z level=DEBUG msg="model read" path=/tmp/m.onnx took=490.846637ms err=<nil>
time=2026-12-07T22:16:50.372Z level=DEBUG msg="view made" id=abc expand=all nodes=114290 prepared=155.03ms laidOut=396.1ms written=171.3ms err=<nil>
`
	want := "\n\t  +540 model read took 491 ms" +
		"\n\t +1272 view made expand all nodes 114290 prepared 155 ms laidOut 396 ms written 171 ms"
	if got := Stages(log, t0); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestStageSums checks the sums of a debug log's stage durations, the
// lines that ended after the limit left out.
func TestStageSums(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 22, 16, 49, 0, time.UTC)
	log := `time=2026-12-07T22:16:49.500Z level=DEBUG msg="model read" path=/m.onnx took=480ms err=<nil>
time=2026-12-07T22:16:49.700Z level=DEBUG msg="view made" id=a expand=| nodes=9 prepared=150ms laidOut=30ms written=20ms err=<nil>
time=2026-12-07T22:16:50.000Z level=DEBUG msg="view made" id=a expand=all| nodes=99 prepared=0s laidOut=250ms written=50ms err=<nil>
time=2026-12-07T22:16:50.100Z level=DEBUG msg="view made" id=a expand=x| nodes=9 prepared=0s laidOut=9ms written=9ms err=<nil>
`
	got := StageSums(log, t0, time.Second)
	want := map[string]time.Duration{"took": 480 * time.Millisecond, "prepared": 150 * time.Millisecond,
		"laidOut": 280 * time.Millisecond, "written": 70 * time.Millisecond}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, d := range want {
		if got[k] != d {
			t.Errorf("%s: %v, want %v", k, got[k], d)
		}
	}
}
