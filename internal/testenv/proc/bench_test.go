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
