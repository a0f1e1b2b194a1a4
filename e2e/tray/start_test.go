//go:build linux

package tray

import (
	"context"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// maxStartToTray bounds exec → tray item registered. It is a hang bound,
// 10x the 300 ms target (achieved: a median of 32 ms, worst 80 ms, over
// 5 launches on a shared 2-core machine), not a speed target; the figure
// is logged.
const maxStartToTray = 3 * time.Second

// TestStartToTray measures, over a few launches, the time from starting
// the binary to its tray item's registration with the watcher, the
// moment a tray host draws the icon. It logs the median and the worst.
func TestStartToTray(t *testing.T) {
	bin := proc.Binary(t)
	runs := intEnv(t, "MODELPEEK_START_RUNS", 5)
	var took []time.Duration
	for range runs {
		took = append(took, startToTray(t, bin))
	}
	slices.Sort(took)
	t.Logf("start → tray icon registered over %d launches: median %v, worst %v (target 300 ms)",
		runs, took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	if worst := took[len(took)-1]; worst > maxStartToTray {
		t.Errorf("a launch took %v to register its tray item, more than the hang bound %v", worst, maxStartToTray)
	}
}

// startToTray launches bin with a model under a fresh private bus and
// watcher and returns the time until its item registered; the process
// is stopped before it returns.
func startToTray(t *testing.T, bin string) time.Duration {
	t.Helper()
	addr := dbustest.StartBus(t)
	w := dbustest.StartWatcher(t, addr)
	home := proc.NewHome(t)
	cmd := exec.Command(bin, "--no-browser", smallModel(t))
	cmd.Env = home.Env(dbustest.Env(addr), "XDG_RUNTIME_DIR="+home.Dir, "BROWSER=true")
	ctx, cancel := context.WithTimeout(context.Background(), 10*maxStartToTray)
	defer cancel()
	begin := time.Now()
	p := proc.Start(t, cmd)
	defer p.Stop(t, syscall.SIGTERM, 5*time.Second)
	select {
	case <-w.Registered():
		return time.Since(begin)
	case <-ctx.Done():
		t.Fatalf("no tray item registered within %v\nstderr:\n%s", 10*maxStartToTray, p.Stderr())
		return 0
	}
}
