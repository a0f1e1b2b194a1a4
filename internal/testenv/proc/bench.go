package proc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BuildAt builds the modelpeek binary of another checkout (dir, a
// module root such as a git worktree of an earlier commit), for the
// benchmarks that compare two binaries run by run.
func BuildAt(t testing.TB, dir string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "modelpeek-base")
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the baseline in %s: %v\n%s", dir, err, out)
	}
	return exe
}

// stageLine matches the server's debug lines that time a load's stages:
// the model's read and each view made (prepared, laid out, written).
var stageLine = regexp.MustCompile(`^time=(\S+) level=DEBUG msg="(model read|view made)"(.*)$`)

// stageRecord is one stage line: when it was logged, its message, and
// its key=value fields in order.
type stageRecord struct {
	at     time.Time
	msg    string
	fields []string
}

// stageRecords returns the stage lines of a debug log, in order.
func stageRecords(log string) []stageRecord {
	var out []stageRecord
	for _, line := range strings.Split(log, "\n") {
		m := stageLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if at, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
			out = append(out, stageRecord{at, m[2], strings.Fields(m[3])})
		}
	}
	return out
}

// StageSums adds up, per kind ("took" for the read, "prepared", "laidOut",
// "written" for the views), the durations of a debug log's stage lines
// that ended by t0+until: what the server spent on the way to an answer
// received then.
func StageSums(log string, t0 time.Time, until time.Duration) map[string]time.Duration {
	sums := map[string]time.Duration{}
	for _, r := range stageRecords(log) {
		if r.at.Sub(t0) > until {
			continue
		}
		for _, f := range r.fields {
			k, v, _ := strings.Cut(f, "=")
			if d, err := time.ParseDuration(v); err == nil {
				sums[k] += d
			}
		}
	}
	return sums
}

// Stages summarises the stage lines of a debug log (a server's stderr
// under MODELPEEK_LOG=debug): when each stage ended, in ms since t0, and
// how long each took, so that a benchmark's run shows the server's side
// of its time.
func Stages(log string, t0 time.Time) string {
	var b strings.Builder
	for _, r := range stageRecords(log) {
		fmt.Fprintf(&b, "\n\t%+6.0f %s", float64(r.at.Sub(t0).Microseconds())/1000, r.msg)
		for _, f := range r.fields {
			k, v, _ := strings.Cut(f, "=")
			if d, err := time.ParseDuration(v); err == nil {
				fmt.Fprintf(&b, " %s %.0f ms", k, float64(d.Microseconds())/1000)
			} else if k == "expand" || k == "nodes" {
				fmt.Fprintf(&b, " %s %s", k, v)
			}
		}
	}
	return b.String()
}

// Median is the middle figure of ms (the mean of the middle two for an
// even count): on a machine whose speed drifts, the best of a few runs
// says less than their median.
func Median(ms []float64) float64 {
	s := slices.Sorted(slices.Values(ms))
	if len(s) == 0 {
		return 0
	}
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}

// JoinMs lists figures in milliseconds.
func JoinMs(ms []float64) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%.0f", m))
	}
	return strings.Join(s, " ")
}

// EnvInts reads a comma list of positive integers from the environment.
func EnvInts(t testing.TB, name string, def []int) []int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want positive integers", name, s)
		}
		out = append(out, n)
	}
	return out
}
