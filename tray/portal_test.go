package tray

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
)

// fakePortal answers OpenFile like xdg-desktop-portal: it returns the
// request path and later emits Response on it.
type fakePortal struct {
	conn *dbus.Conn
	wg   sync.WaitGroup

	mu       sync.Mutex
	response uint32
	uris     []string
	silent   bool // never answer (the user leaves the dialog open)
	titles   []string
	closed   []dbus.ObjectPath
}

// set changes how the fake answers.
func (p *fakePortal) set(response uint32, silent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.response, p.silent = response, silent
}

func (p *fakePortal) OpenFile(sender dbus.Sender, parent, title string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	token, _ := opts["handle_token"].Value().(string)
	s := strings.NewReplacer(":", "", ".", "_").Replace(string(sender))
	path := dbus.ObjectPath(portalPath + "/request/" + s + "/" + token)
	p.mu.Lock()
	p.titles = append(p.titles, title)
	silent, response, uris := p.silent, p.response, p.uris
	p.mu.Unlock()
	if !silent {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			time.Sleep(10 * time.Millisecond)
			_ = p.conn.Emit(path, portalRequest+".Response", response,
				map[string]dbus.Variant{"uris": dbus.MakeVariant(uris)})
		}()
	}
	return path, nil
}

// request is the exported Request object, to record Close.
type request struct{ p *fakePortal }

func (r request) Close(msg dbus.Message) *dbus.Error {
	path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	r.p.mu.Lock()
	r.p.closed = append(r.p.closed, path)
	r.p.mu.Unlock()
	return nil
}

func startPortal(t *testing.T, addr string, p *fakePortal) {
	t.Helper()
	p.conn = dbustest.Connect(t, addr)
	if err := p.conn.Export(p, portalPath, portalChooser); err != nil {
		t.Fatal(err)
	}
	if err := p.conn.ExportSubtree(request{p}, portalPath+"/request", portalRequest); err != nil {
		t.Fatal(err)
	}
	if reply, err := p.conn.RequestName(portalName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
	t.Cleanup(p.wg.Wait)
}

func TestPortalChooser(t *testing.T) {
	addr := dbustest.StartBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// No portal on the bus.
	if _, err := portalChooseFiles(ctx, "Open model"); !errors.Is(err, ErrNoDialog) {
		t.Fatalf("without a portal: %v, want ErrNoDialog", err)
	}

	p := &fakePortal{uris: []string{"file:///data/x%20y.onnx", "https://example.com/remote.onnx", "file:///m.gguf"}}
	startPortal(t, addr, p)
	paths, err := portalChooseFiles(ctx, "Open model")
	if err != nil || !slices.Equal(paths, []string{"/data/x y.onnx", "/m.gguf"}) {
		t.Fatalf("chosen %q, %v", paths, err)
	}
	p.mu.Lock()
	if !slices.Equal(p.titles, []string{"Open model"}) {
		t.Errorf("titles %q", p.titles)
	}
	p.mu.Unlock()

	p.set(portalRespAbort, false)
	if paths, err := portalChooseFiles(ctx, "Open model"); err != nil || len(paths) != 0 {
		t.Errorf("cancelled: %q, %v", paths, err)
	}
	p.set(2, false)
	if _, err := portalChooseFiles(ctx, "Open model"); err == nil {
		t.Error("a failed request reported success")
	}

	// Closing the menu's context closes the pending request.
	p.set(0, true)
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if _, err := portalChooseFiles(short, "Open model"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("abandoned request: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		p.mu.Lock()
		n := len(p.closed)
		p.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the abandoned request was not closed")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// ChooseFiles falls back to the portal when no dialog program exists.
	p.set(portalRespOK, false)
	t.Setenv("PATH", t.TempDir())
	t.Setenv("DISPLAY", ":5")
	paths, err = ChooseFiles(ctx)
	if err != nil || len(paths) != 2 {
		t.Errorf("ChooseFiles via the portal: %q, %v", paths, err)
	}
}
