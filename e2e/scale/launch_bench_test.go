//go:build linux

package scale

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
	"github.com/modelpeek/modelpeek/server"
)

// TestLaunchTable times the server alone, without a browser: from
// starting `modelpeek serve FILE` to the last byte of the view a page
// asks for first (every group open, compact, gzipped and not inflated),
// for the speed table's transformers of MODELPEEK_SCALE_SIZES nodes
// (100000), best and median of MODELPEEK_LAUNCH_RUNS runs (5), with the
// process's CPU time and peak RSS, and the medians of the server's
// stages before the answer (read, prepare, layout, write: its debug
// log, proc.StageSums). Each run logs when those stages ended
// (proc.Stages). MODELPEEK_LAUNCH_BASE=<another checkout> adds its
// binary, run by run (interleaved, so drift hits both alike).
// MODELPEEK_LAUNCH_BASE_ENV="K=V ..." runs the base with those variables
// too, and with this checkout's binary when no base is given: an A/B of a
// runtime setting (GOGC=200, say). Runs start a second apart: on a VM
// that hands freed memory back to its host, memory is slower to touch the
// longer it was free, and both binaries see the same.
//
//	MODELPEEK_LAUNCH_BENCH=1 MODELPEEK_SCALE_SIZES=100000,500000 \
//	  MODELPEEK_LAUNCH_BASE=/path/to/main go test ./e2e/scale -run TestLaunchTable -v
func TestLaunchTable(t *testing.T) {
	if os.Getenv("MODELPEEK_LAUNCH_BENCH") != "1" {
		t.Skip("set MODELPEEK_LAUNCH_BENCH=1 to time launches of the server")
	}
	sizes := proc.EnvInts(t, "MODELPEEK_SCALE_SIZES", []int{100_000})
	runs := proc.EnvInts(t, "MODELPEEK_LAUNCH_RUNS", []int{5})[0]
	names, exes := []string{"this"}, []string{proc.Binary(t)}
	envs := [][]string{nil}
	baseEnv := strings.Fields(os.Getenv("MODELPEEK_LAUNCH_BASE_ENV"))
	if base := os.Getenv("MODELPEEK_LAUNCH_BASE"); base != "" {
		names, exes, envs = append(names, "base"), append(exes, proc.BuildAt(t, base)), append(envs, baseEnv)
	} else if len(baseEnv) > 0 {
		names, exes, envs = append(names, strings.Join(baseEnv, " ")), append(exes, exes[0]), append(envs, baseEnv)
	}
	var rows []string
	for _, n := range sizes {
		file, err := fixture.WriteTransformer(t.TempDir(), n) // as the speed table's
		if err != nil {
			t.Fatal(err)
		}
		got := make([][]launchSample, len(exes))
		for r := range runs {
			for i, exe := range exes {
				time.Sleep(time.Second)
				s := launchOnce(t, exe, file, envs[i])
				t.Logf("%d nodes, %s, run %d: view in %.0f ms, CPU %.2f s (system %.2f), peak %d MiB; stages (ms since launch):%s",
					n, names[i], r+1, s.ms, s.cpu, s.sys, s.peakMiB, s.stages)
				got[i] = append(got[i], s)
			}
		}
		for i := range exes {
			rows = append(rows, launchRow(n, names[i], got[i]))
		}
	}
	t.Log("| nodes | binary | launch → view (best) | median | all runs | CPU (median) | system CPU (median) | peak RSS (median) | read, prepare, layout, write (medians) |")
	for _, r := range rows {
		t.Log(r)
	}
}

// launchSample is one timed launch.
type launchSample struct {
	ms, cpu, sys float64
	peakMiB      int64
	stages       string
	// sums is the time of each of the server's stages before the answer
	// (proc.StageSums: "took" for the read, "prepared", "laidOut",
	// "written"; none from a binary without the lines).
	sums map[string]time.Duration
}

// launchOnce starts exe serving file, with the variables env besides
// the home's, asks for the view of every group open as soon as the model
// is listed, and measures.
func launchOnce(t *testing.T, exe, file string, env []string) launchSample {
	h := proc.NewHome(t)
	cmd := exec.Command(exe, "serve", "--no-browser", "--addr", "127.0.0.1:0", file)
	cmd.Env = h.Env(nil, append([]string{"MODELPEEK_LOG=debug"}, env...)...)
	start := time.Now()
	s := proc.StartServing(t, cmd, h)
	defer s.Stop(t, syscall.SIGTERM, 20*time.Second) // hang bound: exits in ~10 ms
	c := client(t, s)
	code, body := get(t, c, s, "/api/models")
	var list []server.ModelInfo
	if err := json.Unmarshal(body, &list); code != http.StatusOK || err != nil || len(list) != 1 {
		t.Fatalf("model list: %d %v %.200s", code, err, body)
	}
	// The answer's bytes as they come: a big view comes gzip-coded
	// (server/wire.go, maxPacked), which the browser inflates in another
	// process; get's inflating here took 0.2 s of a 500,000-node run.
	resp := request(t, c, s, "/api/models/"+list[0].ID+"/graph?path=&expand=all&wire=1&gz=1")
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || n == 0 {
		t.Fatalf("graph: %d, %d bytes, %v", resp.StatusCode, n, err)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	user, sys := cpuOf(t, s.Pid())
	return launchSample{ms: ms, cpu: user + sys, sys: sys, peakMiB: procKB(t, s.Pid(), "VmHWM") >> 10,
		stages: proc.Stages(s.Stderr(), start), sums: proc.StageSums(s.Stderr(), start, time.Since(start))}
}

// cpuOf returns process pid's user and system CPU time in seconds
// (/proc/PID/stat, in clock ticks of 1/100 s).
func cpuOf(t *testing.T, pid int) (user, sys float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), ") ") // the name may hold spaces
	f := strings.Fields(rest)
	if len(f) < 13 {
		t.Fatalf("short /proc/%d/stat: %q", pid, b)
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return u / 100, s / 100
}

// launchRow is a table row of one binary's runs.
func launchRow(n int, name string, s []launchSample) string {
	ms, cpu, sys, peak := make([]float64, len(s)), make([]float64, len(s)), make([]float64, len(s)), make([]float64, len(s))
	for i, x := range s {
		ms[i], cpu[i], sys[i], peak[i] = x.ms, x.cpu, x.sys, float64(x.peakMiB)
	}
	var stages []string
	for _, k := range []string{"took", "prepared", "laidOut", "written"} {
		d := make([]float64, len(s))
		for i, x := range s {
			d[i] = float64(x.sums[k].Microseconds()) / 1000
		}
		stages = append(stages, fmt.Sprintf("%.0f", proc.Median(d)))
	}
	return fmt.Sprintf("| %d | %s | %.0f ms | %.0f ms | %s | %.2f s | %.2f s | %.0f MiB | %s ms |",
		n, name, slices.Min(ms), proc.Median(ms), proc.JoinMs(ms), proc.Median(cpu), proc.Median(sys), proc.Median(peak),
		strings.Join(stages, ", "))
}
