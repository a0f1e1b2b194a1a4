//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
	"github.com/modelpeek/modelpeek/tray"
)

// quitBudget is the longest Quit may take, from the click to tray.Run's
// return and to the process exit (exitBudget, relaxed under -race). Quit
// takes about 10 ms; the bound is a hang detector, generous so that a
// loaded machine cannot break it (traytest reports the real figure).
const quitBudget = 2 * time.Second

func exitBudget() time.Duration {
	if raceEnabled {
		return 10 * time.Second
	}
	return quitBudget
}

// startChild runs this test binary as the tray app (see childMain) with
// extra environment entries, on the bus at addr ("" leaves the variable
// as given in env).
func startChild(t *testing.T, addr string, env ...string) *proc.Proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	base := os.Environ()
	if addr != "" {
		base = dbustest.Env(addr)
	}
	// Under -race, the child reports races on stderr but exits normally;
	// checkRaces then fails the test for races in our code.
	cmd.Env = append(append(base, childEnv+"=1", "GORACE=atexit_sleep_ms=0 exitcode=0"), env...)
	p := proc.Start(t, cmd)
	t.Cleanup(func() {
		select {
		case <-p.Exited():
		default:
			_ = p.Cmd.Process.Kill()
			<-p.Exited()
		}
		checkRaces(t, p.Stderr())
	})
	return p
}

// checkRaces fails t for every data race report in stderr that involves
// modelpeek code. systray v1.12.2 has a race of its own (refresh writes
// the menu version under one lock while GetLayout reads it under
// another); reports whose accesses are all outside modelpeek are logged.
func checkRaces(t *testing.T, stderr string) {
	t.Helper()
	const sep = "=================="
	for _, block := range strings.Split(stderr, sep) {
		if !strings.Contains(block, "WARNING: DATA RACE") {
			continue
		}
		// The accesses come first, then "Goroutine N (…) created at:".
		access := block
		if i := strings.Index(block, "Goroutine "); i >= 0 {
			access = block[:i]
		}
		if strings.Contains(access, "github.com/modelpeek/") {
			t.Errorf("data race in modelpeek code:\n%s", block)
		} else {
			t.Logf("data race inside a dependency (not ours):\n%s", block)
		}
	}
}

// session is a bus with the tray app on it.
type session struct {
	t    *testing.T
	ctx  context.Context
	proc *proc.Proc
	tr   *dbustest.Tray
}

// startSession starts a bus, a tray host (fake watcher) and the tray app;
// with checkRegistered it also checks that the app registered its item.
func startSession(t *testing.T, checkRegistered bool, env ...string) *session {
	s, _ := startSessionWatcher(t, checkRegistered, env...)
	return s
}

// clickUntilExit clicks item id, again each second the process has not
// exited, at most 5 times; it returns when the last click went out and
// its error.
func (s *session) clickUntilExit(id int32) (time.Time, error) {
	var start time.Time
	var err error
	for range 5 {
		start, err = time.Now(), s.tr.Click(s.ctx, id)
		select {
		case <-s.proc.Exited():
			return start, err
		case <-time.After(time.Second):
		}
	}
	return start, err
}

// startSessionWatcher is startSession, also returning the watcher.
func startSessionWatcher(t *testing.T, checkRegistered bool, env ...string) (*session, *dbustest.Watcher) {
	t.Helper()
	addr := dbustest.StartBus(t)
	// Without a watcher there is no tray: Run returns ErrNoTray.
	watcher := dbustest.StartWatcher(t, addr)
	var w *dbustest.Watcher
	if checkRegistered {
		w = watcher
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	p := startChild(t, addr, env...)
	tr, err := dbustest.FindTray(ctx, dbustest.Connect(t, addr), p.Pid())
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.Stderr())
	}
	if w != nil {
		select {
		case id := <-w.Registered():
			if !strings.HasPrefix(id, tr.Dest) {
				t.Errorf("watcher got item %q, want one from %s", id, tr.Dest)
			}
		case <-ctx.Done():
			t.Fatal("the tray never registered with the watcher")
		}
	}
	return &session{t: t, ctx: ctx, proc: p, tr: tr}, watcher
}

func (s *session) layout() dbustest.Item {
	s.t.Helper()
	root, err := s.tr.Layout(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return root
}

func (s *session) find(label string) dbustest.Item {
	s.t.Helper()
	it, ok := s.layout().Find(label)
	if !ok {
		s.t.Fatalf("no visible item %q in the menu", label)
	}
	return it
}

func (s *session) click(label string) {
	s.t.Helper()
	if _, err := s.tr.ClickLabel(s.ctx, label); err != nil {
		s.t.Fatal(err)
	}
}

// expect waits for the controller call line "CALL <want>".
func (s *session) expect(want string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	line, err := s.proc.WaitLine(ctx, "CALL ")
	if err != nil {
		s.t.Fatalf("waiting for CALL %s: %v", want, err)
	}
	if line != "CALL "+want {
		s.t.Fatalf("got %q, want %q", line, "CALL "+want)
	}
}

// waitMenu waits until cond holds for the menu.
func (s *session) waitMenu(what string, cond func(dbustest.Item) bool) dbustest.Item {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	root, err := s.tr.WaitFor(ctx, cond)
	if err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
	return root
}

// waitTooltip polls the item's ToolTip until ok accepts it.
func (s *session) waitTooltip(ok func(string) bool) {
	s.t.Helper()
	var tip string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		var err error
		if tip, err = s.tr.Tooltip(s.ctx); err != nil {
			s.t.Fatal(err)
		}
		if ok(tip) {
			return
		}
	}
	s.t.Fatalf("tooltip stayed %q", tip)
}

// waitIcon polls the item's IconPixmap until ok accepts it.
func (s *session) waitIcon(ok func([]byte) bool) {
	s.t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		_, _, icon, err := s.tr.Icon(s.ctx)
		if err != nil {
			s.t.Fatal(err)
		}
		if ok(icon) {
			return
		}
	}
	s.t.Fatal("icon never changed as expected")
}

func hasVisible(label string) func(dbustest.Item) bool {
	return func(root dbustest.Item) bool { _, ok := root.Find(label); return ok }
}

// quit clicks Quit and returns how long the process took to exit.
func (s *session) quit() time.Duration {
	s.t.Helper()
	it := s.find(tray.LabelQuit)
	// The menu is on the bus before Run's receivers on Quit's channel
	// are sure to be parked (they are started first, but may not have
	// run yet), and systray drops a click nobody waits for: a click that
	// comes that early is lost (seen once in 20 runs under a loaded CI),
	// so the test clicks again, as a user would, and times the last one.
	start, clickErr := s.clickUntilExit(it.ID)
	code, at, err := s.proc.Wait(5 * time.Second)
	// The app may exit before its reply to the click leaves ("recipient
	// disconnected without replying"); that is only an error if it did
	// not exit.
	if clickErr != nil && err != nil {
		s.t.Fatal(clickErr)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	if code != 0 {
		s.t.Fatalf("exit status %d after Quit", code)
	}
	if s.proc.Count("RETURNED ") != 1 {
		s.t.Errorf("tray.Run did not return normally; stdout: %q", s.proc.Lines())
	}
	d := at.Sub(start)
	returned, _ := strconv.ParseInt(lineArg(s.proc, "RETURNED"), 10, 64)
	toReturn := time.Unix(0, returned).Sub(start)
	if d > exitBudget() || toReturn > quitBudget {
		s.t.Errorf("Quit took %v to exit (budget %v), %v to return from tray.Run (budget %v): click %d, Quit called %s, Run returned %d, exit %d (ns); stdout tail %q",
			d, exitBudget(), toReturn, quitBudget, start.UnixNano(), lineArg(s.proc, "QUITAT"), returned, at.UnixNano(), tail(s.proc.Lines(), 5))
	}
	return d
}

func lineArg(p *proc.Proc, prefix string) string {
	for _, l := range p.Lines() {
		if strings.HasPrefix(l, prefix+" ") {
			return strings.TrimPrefix(l, prefix+" ")
		}
	}
	return "?"
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

// fakeDialogs writes fake zenity programs into a directory and returns
// the environment that puts it first on PATH, plus the log of their
// arguments.
func fakeDialogs(t *testing.T) (env []string, logFile string) {
	t.Helper()
	dir := t.TempDir()
	logFile = filepath.Join(dir, "zenity.log")
	script := `#!/bin/sh
printf '%s\n' "$*" >> "` + logFile + `"
case "$*" in
*--file-selection*) printf '/data/new1.onnx\n/data/new 2.tflite\n' ;;
esac
exit 0
`
	if err := os.WriteFile(filepath.Join(dir, "zenity"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"), "DISPLAY=:77", "XDG_CURRENT_DESKTOP=GNOME"}, logFile
}

func TestMenuEndToEnd(t *testing.T) {
	env, zenityLog := fakeDialogs(t)
	s := startSession(t, true, env...)

	// Initial menu from the fake's State.
	root := s.layout()
	for _, l := range []string{"a.onnx", "b.gguf", tray.LabelOpen, tray.LabelRecent, tray.LabelBrowser,
		tray.LabelStop, tray.LabelWatch, tray.LabelAutostart, tray.LabelAbout, tray.LabelQuit} {
		if _, ok := root.Find(l); !ok {
			t.Errorf("menu lacks visible %q", l)
		}
	}
	for _, l := range []string{tray.LabelStart, tray.LabelNoModels, tray.LabelNoRecent} {
		if _, ok := root.Find(l); ok {
			t.Errorf("menu shows %q, which the tray.State rules out", l)
		}
	}
	recent, _ := root.Find(tray.LabelRecent)
	var recentLabels []string
	for _, c := range recent.VisibleChildren() {
		recentLabels = append(recentLabels, c.Label())
	}
	if want := []string{"…/data/a.onnx", "…/data/b.gguf", "", tray.LabelClearRecent}; !slices.Equal(recentLabels, want) {
		t.Errorf("Recent submenu = %q, want %q", recentLabels, want)
	}
	if w, _ := root.Find(tray.LabelWatch); w.ToggleState() != 0 {
		t.Errorf("Watch toggle-state %d, want 0", w.ToggleState())
	}

	tip, err := s.tr.Tooltip(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "modelpeek — http://127.0.0.1:45678/ — 2 models open"; tip != want {
		t.Errorf("tooltip %q, want %q (token hidden)", tip, want)
	}
	w, h, runningIcon, err := s.tr.Icon(s.ctx)
	if err != nil || w != 32 || h != 32 || len(runningIcon) != 32*32*4 {
		t.Fatalf("icon %dx%d, %d bytes, err %v", w, h, len(runningIcon), err)
	}

	t.Run("show model", func(t *testing.T) {
		s.t = t
		s.click("b.gguf")
		s.expect("Show m2")
	})
	t.Run("stop and start viewer", func(t *testing.T) {
		s.t = t
		s.click(tray.LabelStop)
		s.expect("StopViewer")
		s.waitMenu("label after stop", hasVisible(tray.LabelStart))
		s.waitTooltip(func(tip string) bool { return strings.Contains(tip, "viewer stopped") })
		s.waitIcon(func(icon []byte) bool { return !bytes.Equal(icon, runningIcon) })
		s.click(tray.LabelStart)
		s.expect("StartViewer")
		s.waitMenu("label after start", hasVisible(tray.LabelStop))
	})
	t.Run("watch checkbox", func(t *testing.T) {
		s.t = t
		s.click(tray.LabelWatch)
		s.expect("SetWatching true")
		s.waitMenu("checked", func(r dbustest.Item) bool { it, _ := r.Find(tray.LabelWatch); return it.ToggleState() == 1 })
		s.click(tray.LabelWatch)
		s.expect("SetWatching false")
		s.waitMenu("unchecked", func(r dbustest.Item) bool { it, _ := r.Find(tray.LabelWatch); return it.ToggleState() == 0 })
	})
	t.Run("autostart checkbox", func(t *testing.T) {
		s.t = t
		s.click(tray.LabelAutostart)
		s.expect("SetAutostart true")
		s.waitMenu("checked", func(r dbustest.Item) bool { it, _ := r.Find(tray.LabelAutostart); return it.ToggleState() == 1 })
	})
	t.Run("open viewer", func(t *testing.T) {
		s.t = t
		s.click(tray.LabelBrowser)
		s.expect(`Show ""`)
	})
	t.Run("recent", func(t *testing.T) {
		s.t = t
		s.click("…/data/b.gguf")
		s.expect("Open /data/b.gguf")
		s.expect("Show m3")
		s.waitMenu("third model listed", func(r dbustest.Item) bool {
			n := 0
			for _, c := range r.VisibleChildren() {
				if c.Label() == "b.gguf" {
					n++
				}
			}
			return n == 2
		})
		s.click(tray.LabelClearRecent)
		s.expect("ClearRecent")
		s.waitMenu("recent emptied", func(r dbustest.Item) bool {
			rec, _ := r.Find(tray.LabelRecent)
			empty, ok := rec.Find(tray.LabelNoRecent)
			clear, _ := rec.Find(tray.LabelClearRecent)
			return ok && !empty.Enabled() && !clear.Enabled() && len(rec.VisibleChildren()) == 3
		})
	})
	t.Run("open model with the native chooser", func(t *testing.T) {
		s.t = t
		s.click(tray.LabelOpen)
		s.expect("Open /data/new1.onnx /data/new 2.tflite")
		s.expect("Show m4")
		s.waitMenu("new models listed", func(r dbustest.Item) bool {
			_, a := r.Find("new1.onnx")
			_, b := r.Find("new 2.tflite")
			return a && b
		})
		s.waitTooltip(func(tip string) bool { return strings.HasSuffix(tip, "5 models open") })
	})
	t.Run("about", func(t *testing.T) {
		s.t = t
		s.click(tray.LabelAbout)
		deadline := time.Now().Add(5 * time.Second)
		for {
			data, _ := os.ReadFile(zenityLog)
			if strings.Contains(string(data), "--info") && strings.Contains(string(data), fakeVersion) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("About did not show a dialog with the version; zenity log: %q", data)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("quit", func(t *testing.T) {
		s.t = t
		s.quit()
		if n := s.proc.Count("CALL Quit"); n != 1 {
			t.Errorf("Quit called %d times", n)
		}
	})
}

// TestUnderscoresInLabels: dbusmenu hides a single "_" (a mnemonic
// marker), so labels made from file names and paths carry "__" for every
// "_" in them, and no label has a lone "_".
func TestUnderscoresInLabels(t *testing.T) {
	const p = "/data/my_net/model_v2_final.onnx"
	s := startSession(t, true, "TRAYTEST_EXTRA_MODEL="+p)
	root := s.layout()
	if _, ok := root.Find("model__v2__final.onnx"); !ok {
		t.Errorf("no open-model item labelled %q", "model__v2__final.onnx")
	}
	recent, _ := root.Find(tray.LabelRecent)
	if _, ok := recent.Find("…/my__net/model__v2__final.onnx"); !ok {
		t.Errorf("no recent item labelled %q", "…/my__net/model__v2__final.onnx")
	}
	var walk func(it dbustest.Item)
	walk = func(it dbustest.Item) {
		if l := it.Label(); strings.Contains(strings.ReplaceAll(l, "__", ""), "_") {
			t.Errorf("label %q has an unescaped underscore", l)
		}
		for _, c := range it.Children {
			walk(c)
		}
	}
	walk(root)
	s.quit()
}

func TestOpenWithoutChooserShowsDropZone(t *testing.T) {
	// No zenity or kdialog on PATH, and no display.
	s := startSession(t, false, "PATH="+t.TempDir(), "DISPLAY=", "WAYLAND_DISPLAY=")
	s.click(tray.LabelOpen)
	s.expect(`Show ""`)
	s.click(tray.LabelAbout)
	s.expect(`Show ""`)
	s.quit()
}

func TestManyModelsUseMoreItem(t *testing.T) {
	env, _ := fakeDialogs(t)
	s := startSession(t, false, env...)
	// Each chooser run opens two models: 2 + 5*2 = 12 > 10 slots.
	for i := 0; i < 5; i++ {
		s.click(tray.LabelOpen)
		s.expect("Open /data/new1.onnx /data/new 2.tflite")
		s.expect(fmt.Sprintf("Show m%d", 3+2*i))
	}
	s.waitMenu("overflow item", hasVisible("2 more…"))
	s.click("2 more…")
	s.expect(`Show ""`)
	s.quit()
}

func TestRapidStartStopLosesNoClick(t *testing.T) {
	s := startSession(t, false)
	it := s.find(tray.LabelStop)
	const clicks = 200
	start := time.Now()
	for i := 0; i < clicks; i++ {
		if err := s.tr.Click(s.ctx, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	sent := time.Since(start)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := s.proc.Count("CALL StopViewer") + s.proc.Count("CALL StartViewer")
		if n == clicks {
			break
		}
		if n > clicks || time.Now().After(deadline) {
			t.Fatalf("%d Start/Stop calls for %d clicks", n, clicks)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if stops, starts := s.proc.Count("CALL StopViewer"), s.proc.Count("CALL StartViewer"); stops != clicks/2 || starts != clicks/2 {
		t.Errorf("%d stops and %d starts, want %d each (strict alternation)", stops, starts, clicks/2)
	}
	// An even number of toggles leaves the viewer running.
	s.waitMenu("final label", hasVisible(tray.LabelStop))
	t.Logf("%d clicks sent in %v, all %d handled", clicks, sent, clicks)
	s.quit()
}

func TestMenuFollowsSubscribe(t *testing.T) {
	s := startSession(t, false)
	_, _, runningIcon, err := s.tr.Icon(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.proc.Cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	s.waitMenu("failed viewer and broken model shown", func(r dbustest.Item) bool {
		_, start := r.Find(tray.LabelStart)
		_, broken := r.Find("broken.onnx (error)")
		return start && broken
	})
	s.waitTooltip(func(tip string) bool { return tip == "modelpeek — port 8080 is in use — 3 models open" })
	s.waitIcon(func(icon []byte) bool { return !bytes.Equal(icon, runningIcon) })
	// The error icon is mostly red, the running one blue (ARGB bytes).
	_, _, icon, _ := s.tr.Icon(s.ctx)
	var red, blue int
	for i := 0; i+3 < len(icon); i += 4 {
		if icon[i] > 0x80 {
			red += int(icon[i+1])
			blue += int(icon[i+3])
		}
	}
	if red <= blue {
		t.Errorf("error icon is not red (red %d, blue %d)", red, blue)
	}
	s.quit()
}

// TestQuitViaClosedStream: an app that only closes its Subscribe stream
// when it quits (the ctx given to Run stays alive) still ends the tray.
func TestQuitViaClosedStream(t *testing.T) {
	s := startSession(t, false, "TRAYTEST_QUIT_CLOSES_STREAM=1")
	s.quit()
}

func TestSignalEndsRun(t *testing.T) {
	s := startSession(t, false)
	if err := s.proc.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, _, err := s.proc.Wait(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || s.proc.Count("RETURNED ") != 1 {
		t.Errorf("exit %d, stdout %q", code, s.proc.Lines())
	}
	if s.proc.Count("CALL Quit") != 0 {
		t.Error("Quit called without a click")
	}
}

func TestQuitLatency(t *testing.T) {
	const runs = 20
	var lat []time.Duration
	for i := 0; i < runs; i++ {
		var d time.Duration
		t.Run("", func(t *testing.T) {
			s := startSession(t, i%2 == 0)
			d = s.quit()
		})
		lat = append(lat, d)
	}
	slices.Sort(lat)
	t.Logf("Quit click → exit over %d runs: median %v, min %v, max %v", runs, lat[runs/2], lat[0], lat[runs-1])
}

func TestNoBus(t *testing.T) {
	cases := map[string][]string{
		"address points nowhere": {"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "no-bus")},
		// Unset, and nothing to discover: empty runtime dir, no dbus-launch.
		"address unset": {"DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=" + t.TempDir(), "PATH=" + t.TempDir()},
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			p := startChild(t, "", env...)
			code, at, err := p.Wait(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if code != exitNoTray || p.Count("NOTRAY") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want ErrNoTray", code, p.Lines(), p.Stderr())
			}
			if strings.Contains(p.Stderr(), "systray") {
				t.Errorf("systray was started without a bus: %s", p.Stderr())
			}
			t.Logf("ErrNoTray after %v: %s", at.Sub(start), p.Lines()[len(p.Lines())-1])
		})
	}
}

// noTrayBound bounds how long Run takes to say there is no tray host: it
// asks the bus once (NameHasOwner, about a millisecond; the whole child
// takes well under 1 s), so 10 s only catches a hang.
const noTrayBound = 10 * time.Second

// A session bus without a tray host (no StatusNotifierWatcher) is no
// tray: Run returns ErrNoTray at once instead of running invisibly, and
// systray never starts (it would log "failed to register").
func TestNoWatcherIsNoTray(t *testing.T) {
	addr := dbustest.StartBus(t)
	start := time.Now()
	p := startChild(t, addr)
	code, at, err := p.Wait(noTrayBound)
	if err != nil {
		t.Fatal(err)
	}
	if code != exitNoTray || p.Count("NOTRAY") != 1 || !strings.Contains(lineArg(p, "NOTRAY"), "StatusNotifierWatcher") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want ErrNoTray naming the watcher", code, p.Lines(), p.Stderr())
	}
	if strings.Contains(p.Stderr(), "systray") {
		t.Errorf("systray was started without a tray host: %s", p.Stderr())
	}
	t.Logf("ErrNoTray after %v", at.Sub(start))
}

// When the tray host leaves the bus, Run calls Options.HostLost, and the
// app keeps running until it quits.
func TestHostLostIsReported(t *testing.T) {
	s, w := startSessionWatcher(t, true)
	w.Stop(t)
	ctx, cancel := context.WithTimeout(s.ctx, noTrayBound)
	defer cancel()
	if _, err := s.proc.WaitLine(ctx, "HOSTLOST"); err != nil {
		t.Fatalf("HostLost not called after the watcher left: %v; stdout %q", err, s.proc.Lines())
	}
	if err := s.proc.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, _, err := s.proc.Wait(exitBudget())
	if err != nil || code != 0 || s.proc.Count("RETURNED ") != 1 {
		t.Errorf("exit %d (%v), stdout %q", code, err, s.proc.Lines())
	}
}

// The "Compare with previous version" submenu lists the models with a
// previous version; clicking one asks for its comparison. Without one,
// the submenu is hidden.
func TestComparePrevious(t *testing.T) {
	s := startSession(t, false)
	if _, ok := s.layout().Find(tray.LabelComparePrevious); ok {
		t.Error("the compare submenu shows though no model has a previous version")
	}
	s.quit()

	s = startSession(t, false, "TRAYTEST_PREVIOUS=1")
	sub := s.find(tray.LabelComparePrevious)
	kids := sub.VisibleChildren()
	if len(kids) != 1 || kids[0].Label() != "a.onnx" {
		t.Fatalf("compare submenu lists %v, want only a.onnx", kids)
	}
	if err := s.tr.Click(s.ctx, kids[0].ID); err != nil {
		t.Fatal(err)
	}
	s.expect("ComparePrevious m1")
	s.quit()
}
