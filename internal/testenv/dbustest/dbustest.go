// Package dbustest drives a StatusNotifierItem tray app over a private
// D-Bus session bus, for end-to-end tests: start a bus, optionally a fake
// org.kde.StatusNotifierWatcher, find the app on the bus, read its menu
// with com.canonical.dbusmenu GetLayout and click items with Event.
//
// Every call takes a context: godbus calls have no timeout of their own.
package dbustest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

// Names on the bus (StatusNotifierItem and dbusmenu specifications).
const (
	ItemInterface    = "org.kde.StatusNotifierItem"
	MenuInterface    = "com.canonical.dbusmenu"
	WatcherName      = "org.kde.StatusNotifierWatcher"
	WatcherPath      = "/StatusNotifierWatcher"
	DefaultItemPath  = "/StatusNotifierItem"
	itemNamePrefix   = "org.kde.StatusNotifierItem-"
	busStartDeadline = 10 * time.Second
)

// busConfig is a session bus configuration with no activatable
// services; %s is the escaped socket path.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// StartBus starts a private session bus (dbus-daemon with a session
// configuration and no activatable services) for the test and returns its
// address; it is killed (by PID) when the test ends.
// The test is skipped, or fails under MODELPEEK_REQUIRE_ALL=1, when
// dbus-daemon is not installed.
func StartBus(t testing.TB) string {
	t.Helper()
	daemon := testenv.LookPath(t, "dbus-daemon", "dbus")
	// A short directory of our own: socket paths are limited to about 100
	// bytes, and test names may hold characters D-Bus addresses escape.
	dir, err := os.MkdirTemp("", "dbustest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	// A config of our own, without service directories: nothing installed
	// on the machine (a real desktop portal, say) gets started on the bus.
	conf := filepath.Join(dir, "session.conf")
	sock := filepath.Join(dir, "bus")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dbus.EscapeBusAddressValue(sock))), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	// Never hand the daemon the test's own stderr: go test would wait on
	// that pipe if the daemon outlived the test.
	cmd.Stderr = io.Discard
	cmd.SysProcAttr = proc.SysProcAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		if s.Scan() {
			lines <- s.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case addr, ok := <-lines:
		if !ok || addr == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return strings.TrimSpace(addr)
	case <-time.After(busStartDeadline):
		t.Fatal("dbus-daemon did not print its address")
	}
	return ""
}

// Connect opens an authenticated connection to the bus at addr, closed
// when the test ends.
func Connect(t testing.TB, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Watcher is a fake org.kde.StatusNotifierWatcher: it records the items
// that register, as a tray host would.
type Watcher struct {
	conn       *dbus.Conn
	mu         sync.Mutex
	items      []string
	registered chan string
}

// StartWatcher exports a fake watcher on the bus at addr, owning the
// well-known watcher name, until the test ends.
func StartWatcher(t testing.TB, addr string) *Watcher {
	t.Helper()
	w := &Watcher{conn: Connect(t, addr), registered: make(chan string, 64)}
	if err := w.conn.Export(watcherMethods{w}, WatcherPath, WatcherName); err != nil {
		t.Fatal(err)
	}
	reply, err := w.conn.RequestName(WatcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatal(err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName(%s) = %v, want primary owner", WatcherName, reply)
	}
	return w
}

// Stop gives up the watcher name, as a tray host that quits or crashes
// does: the bus then announces that the name lost its owner.
func (w *Watcher) Stop(t testing.TB) {
	t.Helper()
	if _, err := w.conn.ReleaseName(WatcherName); err != nil {
		t.Fatalf("releasing %s: %v", WatcherName, err)
	}
}

// Registered delivers each item id ("<unique name><object path>") as it
// registers.
func (w *Watcher) Registered() <-chan string { return w.registered }

// Items returns the item ids registered so far.
func (w *Watcher) Items() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.items...)
}

// watcherMethods are the exported D-Bus methods of Watcher.
type watcherMethods struct{ w *Watcher }

// RegisterStatusNotifierItem records an item. Apps send their object path
// (or a bus name); the item id is formed the way real hosts do.
func (m watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	id := service
	if strings.HasPrefix(service, "/") {
		id = string(sender) + service
	}
	m.w.mu.Lock()
	m.w.items = append(m.w.items, id)
	m.w.mu.Unlock()
	select {
	case m.w.registered <- id:
	default:
	}
	return nil
}

// RegisterStatusNotifierHost accepts a host registration.
func (m watcherMethods) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// Tray is a tray app found on the bus.
type Tray struct {
	Conn *dbus.Conn
	// Dest is the app's unique bus name.
	Dest string
	// ItemPath is the StatusNotifierItem object; MenuPath comes from its
	// Menu property (never hard-coded: it moved between systray versions).
	ItemPath, MenuPath dbus.ObjectPath
}

// FindTray waits until the process pid owns its StatusNotifierItem name
// (org.kde.StatusNotifierItem-<pid>-1) and returns a handle on it. It also
// makes the first GetLayout call, which systray answers with one level
// only, so later Layout calls see the whole menu.
func FindTray(ctx context.Context, conn *dbus.Conn, pid int) (*Tray, error) {
	name := fmt.Sprintf("%s%d-1", itemNamePrefix, pid)
	bus := conn.BusObject()
	for {
		var owner string
		err := bus.CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, name).Store(&owner)
		if err == nil {
			// The name is taken before the objects are exported: retry
			// until the properties answer.
			tr := &Tray{Conn: conn, Dest: owner, ItemPath: DefaultItemPath}
			var v dbus.Variant
			v, err = tr.ItemProperty(ctx, "Menu")
			if err == nil {
				p, ok := v.Value().(dbus.ObjectPath)
				if !ok {
					return nil, fmt.Errorf("Menu property is %s, not an object path", v.Signature())
				}
				tr.MenuPath = p
				if _, err := tr.Layout(ctx); err != nil {
					return nil, err
				}
				return tr, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s never appeared on the bus: %w (last: %v)", name, ctx.Err(), err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// ItemProperty reads one org.kde.StatusNotifierItem property.
func (tr *Tray) ItemProperty(ctx context.Context, prop string) (dbus.Variant, error) {
	var v dbus.Variant
	err := tr.Conn.Object(tr.Dest, tr.ItemPath).CallWithContext(ctx,
		"org.freedesktop.DBus.Properties.Get", 0, ItemInterface, prop).Store(&v)
	if err != nil {
		return v, fmt.Errorf("reading %s.%s: %w", ItemInterface, prop, err)
	}
	return v, nil
}

// Tooltip returns the title text of the item's ToolTip property.
func (tr *Tray) Tooltip(ctx context.Context) (string, error) {
	v, err := tr.ItemProperty(ctx, "ToolTip")
	if err != nil {
		return "", err
	}
	fields, ok := v.Value().([]any)
	if !ok || len(fields) < 3 {
		return "", fmt.Errorf("ToolTip has an unexpected shape %s", v.Signature())
	}
	s, _ := fields[2].(string)
	return s, nil
}

// Icon returns the first image of the item's IconPixmap property: width,
// height and ARGB bytes.
func (tr *Tray) Icon(ctx context.Context) (w, h int32, argb []byte, err error) {
	v, err := tr.ItemProperty(ctx, "IconPixmap")
	if err != nil {
		return 0, 0, nil, err
	}
	var px []struct {
		W, H int32
		Data []byte
	}
	if err := dbus.Store([]any{v.Value()}, &px); err != nil {
		return 0, 0, nil, fmt.Errorf("IconPixmap: %w", err)
	}
	if len(px) == 0 {
		return 0, 0, nil, errors.New("IconPixmap is empty")
	}
	return px[0].W, px[0].H, px[0].Data, nil
}

// Item is one menu entry from GetLayout.
type Item struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []Item
}

// Label is the item's label ("" for separators).
func (it Item) Label() string { s, _ := it.Props["label"].Value().(string); return s }

// Visible reports the visible property (true when absent, per the spec).
func (it Item) Visible() bool {
	v, ok := it.Props["visible"]
	if !ok {
		return true
	}
	b, _ := v.Value().(bool)
	return b
}

// Enabled reports the enabled property (true when absent).
func (it Item) Enabled() bool {
	v, ok := it.Props["enabled"]
	if !ok {
		return true
	}
	b, _ := v.Value().(bool)
	return b
}

// ToggleState is 1 for a checked checkbox, 0 unchecked, -1 when absent.
func (it Item) ToggleState() int {
	v, ok := it.Props["toggle-state"]
	if !ok {
		return -1
	}
	switch n := v.Value().(type) {
	case int32:
		return int(n)
	case int:
		return n
	}
	return -1
}

// Find returns the first visible item (depth first) whose label is label.
func (it Item) Find(label string) (Item, bool) {
	for _, c := range it.Children {
		if c.Visible() && c.Label() == label {
			return c, true
		}
		if found, ok := c.Find(label); ok {
			return found, true
		}
	}
	return Item{}, false
}

// Visible children, in order.
func (it Item) VisibleChildren() []Item {
	var out []Item
	for _, c := range it.Children {
		if c.Visible() {
			out = append(out, c)
		}
	}
	return out
}

// Layout reads the whole menu tree (GetLayout(0, -1, [])).
func (tr *Tray) Layout(ctx context.Context) (Item, error) {
	call := tr.Conn.Object(tr.Dest, tr.MenuPath).CallWithContext(ctx,
		MenuInterface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		return Item{}, fmt.Errorf("GetLayout: %w", call.Err)
	}
	if len(call.Body) != 2 {
		return Item{}, fmt.Errorf("GetLayout returned %d values, want 2", len(call.Body))
	}
	return parseItem(call.Body[1])
}

// parseItem decodes a (ia{sv}av) structure.
func parseItem(v any) (Item, error) {
	if vv, ok := v.(dbus.Variant); ok {
		v = vv.Value()
	}
	fields, ok := v.([]any)
	if !ok || len(fields) != 3 {
		return Item{}, fmt.Errorf("menu item has an unexpected shape %T", v)
	}
	id, ok1 := fields[0].(int32)
	props, ok2 := fields[1].(map[string]dbus.Variant)
	kids, ok3 := fields[2].([]dbus.Variant)
	if !ok1 || !ok2 || !ok3 {
		return Item{}, fmt.Errorf("menu item fields have unexpected types %T %T %T", fields[0], fields[1], fields[2])
	}
	it := Item{ID: id, Props: props}
	for _, k := range kids {
		c, err := parseItem(k)
		if err != nil {
			return Item{}, err
		}
		it.Children = append(it.Children, c)
	}
	return it, nil
}

// Click sends a "clicked" event to item id.
func (tr *Tray) Click(ctx context.Context, id int32) error {
	call := tr.Conn.Object(tr.Dest, tr.MenuPath).CallWithContext(ctx,
		MenuInterface+".Event", 0, id, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix()))
	if call.Err != nil {
		return fmt.Errorf("clicking item %d: %w", id, call.Err)
	}
	return nil
}

// ClickLabel finds the visible item labelled label and clicks it.
func (tr *Tray) ClickLabel(ctx context.Context, label string) (Item, error) {
	root, err := tr.Layout(ctx)
	if err != nil {
		return Item{}, err
	}
	it, ok := root.Find(label)
	if !ok {
		return Item{}, fmt.Errorf("no visible menu item %q", label)
	}
	return it, tr.Click(ctx, it.ID)
}

// WaitFor polls the layout until cond holds for it, returning the last
// layout read.
func (tr *Tray) WaitFor(ctx context.Context, cond func(root Item) bool) (Item, error) {
	for {
		root, err := tr.Layout(ctx)
		if err != nil {
			return root, err
		}
		if cond(root) {
			return root, nil
		}
		select {
		case <-ctx.Done():
			return root, fmt.Errorf("menu never reached the expected state: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Env returns os.Environ() with DBUS_SESSION_BUS_ADDRESS set to addr, for
// starting the app under test.
func Env(addr string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, e)
		}
	}
	return append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)
}
