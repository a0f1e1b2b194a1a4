//go:build linux

package tray

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
	"github.com/modelpeek/modelpeek/tray"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quitBudget is the longest Quit should take, click to process exit: the
// server's grace. The median of the runs must stay within it; one run may
// be delayed by a busy machine, so each run is bounded only by
// quitHangBound (10x the budget), past which Quit is taken to hang.
const (
	quitBudget    = 500 * time.Millisecond
	quitHangBound = 10 * quitBudget
)

// app is the real binary running under a private bus.
type app struct {
	t     *testing.T
	ctx   context.Context
	proc  *proc.Proc
	tr    *dbustest.Tray
	url   *url.URL // as printed, with the launch token
	token string
}

// start runs the binary with --no-browser and args (model files) under a
// private bus and a fake tray host, and finds its tray item.
func start(t *testing.T, args ...string) *app {
	t.Helper()
	bin := proc.Binary(t)
	addr := dbustest.StartBus(t)
	dbustest.StartWatcher(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	home := proc.NewHome(t)
	cmd := exec.Command(bin, append([]string{"--no-browser"}, args...)...)
	// A private home: recent files and start-at-login land there.
	cmd.Env = home.Env(dbustest.Env(addr), "XDG_RUNTIME_DIR="+home.Dir, "BROWSER=true")
	p := proc.Start(t, cmd)
	s, err := p.Serving(ctx)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.Stderr())
	}
	u := s.URL
	tr, err := dbustest.FindTray(ctx, dbustest.Connect(t, addr), p.Pid())
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, p.Stderr())
	}
	return &app{t: t, ctx: ctx, proc: p, tr: tr, url: u, token: u.Query().Get("token")}
}

func (a *app) click(label string) {
	a.t.Helper()
	if _, err := a.tr.ClickLabel(a.ctx, label); err != nil {
		a.t.Fatal(err)
	}
}

func (a *app) waitLabel(label string) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	defer cancel()
	if _, err := a.tr.WaitFor(ctx, func(r dbustest.Item) bool { _, ok := r.Find(label); return ok }); err != nil {
		a.t.Fatalf("%q never shown: %v", label, err)
	}
}

// host returns the viewer's host:port from the tooltip, waiting for it:
// the tooltip is updated just after the menu labels.
func (a *app) host() string {
	a.t.Helper()
	var tip string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if tip, err = a.tr.Tooltip(a.ctx); err != nil {
			a.t.Fatal(err)
		}
		for _, part := range strings.Split(tip, " — ") {
			if u, err := url.Parse(part); err == nil && u.Scheme == "http" {
				return u.Host
			}
		}
	}
	a.t.Fatalf("no address in the tooltip %q", tip)
	return ""
}

func get(t *testing.T, u string) int {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStopStartWatch(t *testing.T) {
	a := start(t)
	if code := get(t, "http://"+a.url.Host+"/"); code != http.StatusOK {
		t.Fatalf("viewer page: status %d", code)
	}

	a.click(tray.LabelStop)
	a.waitLabel(tray.LabelStart)
	if c, err := net.DialTimeout("tcp", a.url.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop viewer", a.url.Host)
	}

	a.click(tray.LabelStart)
	a.waitLabel(tray.LabelStop)
	if code := get(t, "http://"+a.host()+"/"); code != http.StatusOK {
		t.Errorf("viewer page after Start viewer: status %d", code)
	}

	root, err := a.tr.Layout(a.ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := root.Find(tray.LabelWatch)
	before := w.ToggleState()
	a.click(tray.LabelWatch)
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	defer cancel()
	if _, err := a.tr.WaitFor(ctx, func(r dbustest.Item) bool {
		it, _ := r.Find(tray.LabelWatch)
		return it.ToggleState() == 1-before
	}); err != nil {
		t.Errorf("Watch checkbox did not toggle from %d: %v", before, err)
	}
}

// busyClients opens an SSE stream and a slow client (half-sent request)
// on the viewer; they stay open until the server closes them.
func busyClients(t *testing.T, a *app) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+a.url.Host+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SSE: status %d", resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	if _, err := r.ReadString('\n'); err != nil { // the stream is live
		t.Fatalf("SSE: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })

	slow, err := net.Dial("tcp", a.url.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slow.Close() })
	if _, err := slow.Write([]byte("GET / HTTP/1.1\r\nHost: " + a.url.Host + "\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
}

func TestQuitWithBusyClients(t *testing.T) {
	const runs = 20
	var lat []time.Duration
	for i := 0; i < runs; i++ {
		t.Run("", func(t *testing.T) {
			a := start(t)
			busyClients(t, a)
			root, err := a.tr.Layout(a.ctx)
			if err != nil {
				t.Fatal(err)
			}
			q, ok := root.Find(tray.LabelQuit)
			if !ok {
				t.Fatal("no Quit item")
			}
			begin := time.Now()
			clickErr := a.tr.Click(a.ctx, q.ID)
			code, at, err := a.proc.Wait(2 * quitHangBound)
			if err != nil {
				t.Fatalf("%v (click: %v)", err, clickErr)
			}
			if code != 0 {
				t.Fatalf("exit status %d; stderr:\n%s", code, a.proc.Stderr())
			}
			d := at.Sub(begin)
			if d > quitHangBound {
				t.Errorf("Quit took %v, more than the hang bound %v", d, quitHangBound)
			}
			lat = append(lat, d)
		})
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		median := lat[len(lat)/2]
		t.Logf("real binary, Quit click → exit with an SSE stream and a slow client, %d runs: median %v, min %v, max %v",
			len(lat), median, lat[0], lat[len(lat)-1])
		if median > quitBudget {
			t.Errorf("median Quit %v, want <= %v", median, quitBudget)
		}
	}
}
