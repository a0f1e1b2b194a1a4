package tray

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/server"
)

func TestTooltip(t *testing.T) {
	cases := []struct {
		st   State
		want string
	}{
		{State{Running: true, URL: "http://127.0.0.1:8080/?token=abc#x", Models: make([]server.ModelInfo, 1)},
			"modelpeek — http://127.0.0.1:8080/ — 1 model open"},
		{State{}, "modelpeek — viewer stopped — no models open"},
		{State{Err: "port 8080 is in use", Models: make([]server.ModelInfo, 3)},
			"modelpeek — port 8080 is in use — 3 models open"},
	}
	for _, c := range cases {
		if got := tooltip(c.st); got != c.want {
			t.Errorf("tooltip(%+v) = %q, want %q", c.st, got, c.want)
		}
	}
}

func TestShortPath(t *testing.T) {
	for in, want := range map[string]string{
		"/home/me/models/resnet.onnx": "…/models/resnet.onnx",
		`C:\Users\me\m.gguf`:          "…/me/m.gguf",
		"m.onnx":                      "m.onnx",
	} {
		if got := shortPath(in); got != want {
			t.Errorf("shortPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeMnemonics(t *testing.T) {
	cases := []struct{ goos, in, want string }{
		{"linux", "my_model_v2.onnx", "my__model__v2.onnx"},
		{"freebsd", "…/a_b/c.gguf", "…/a__b/c.gguf"},
		{"windows", "R&D_net.onnx", "R&&D_net.onnx"},
		{"darwin", "my_model.onnx", "my_model.onnx"},
	}
	for _, c := range cases {
		if got := escapeMnemonics(c.goos, c.in); got != c.want {
			t.Errorf("escapeMnemonics(%s, %q) = %q, want %q", c.goos, c.in, got, c.want)
		}
	}
}

func TestStateIcon(t *testing.T) {
	if stateIcon(State{Running: true, Err: "x"}) != iconError ||
		stateIcon(State{Running: true}) != iconRunning ||
		stateIcon(State{}) != iconStopped {
		t.Error("wrong icon precedence")
	}
	seen := map[string]bool{}
	for _, s := range []iconState{iconRunning, iconStopped, iconError} {
		seen[string(iconBytes(s))] = true
	}
	if len(seen) != 3 {
		t.Error("the three states do not have three different icons")
	}
}

func TestEmbeddedIcons(t *testing.T) {
	for _, name := range []string{"running", "stopped", "error", "template", "template-stopped"} {
		data, err := os.ReadFile(filepath.Join("icons", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s.png: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
			t.Errorf("%s.png is %v, want 32x32", name, b)
		}
		if strings.HasPrefix(name, "template") {
			continue
		}
		ico, err := os.ReadFile(filepath.Join("icons", name+".ico"))
		if err != nil {
			t.Fatal(err)
		}
		// ICONDIR: reserved 0, type 1, count; then 16-byte entries.
		if len(ico) < 6 || binary.LittleEndian.Uint16(ico[2:]) != 1 {
			t.Fatalf("%s.ico: not an icon file", name)
		}
		n := int(binary.LittleEndian.Uint16(ico[4:]))
		var sizes []int
		for i := 0; i < n; i++ {
			e := ico[6+16*i:]
			size := binary.LittleEndian.Uint32(e[8:])
			off := binary.LittleEndian.Uint32(e[12:])
			img, err := png.Decode(bytes.NewReader(ico[off : off+size]))
			if err != nil {
				t.Fatalf("%s.ico entry %d: %v", name, i, err)
			}
			if img.Bounds().Dx() != int(e[0]) {
				t.Errorf("%s.ico entry %d: header says %d px, image is %d", name, i, e[0], img.Bounds().Dx())
			}
			sizes = append(sizes, img.Bounds().Dx())
		}
		if !slices.Equal(sizes, []int{16, 32, 48}) {
			t.Errorf("%s.ico sizes %v", name, sizes)
		}
	}
}

func TestRunReturnsAtOnceWhenCtxDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, nil, Options{}); err != nil {
		t.Errorf("Run with a done ctx: %v", err)
	}
}

func TestRunWithoutBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bus check is for Linux and the BSDs")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "none"))
	start := time.Now()
	err := Run(context.Background(), nil, Options{})
	if !errors.Is(err, ErrNoTray) {
		t.Fatalf("Run = %v, want ErrNoTray", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("ErrNoTray took %v", d)
	}
}

func TestDialogPrograms(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fake zenity is a shell script")
	}
	dir := t.TempDir()
	script := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "zenity"), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	t.Setenv("DISPLAY", ":9")
	// No desktop portal either (it is the last resort of ChooseFiles).
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(dir, "no-bus"))
	t.Setenv("XDG_CURRENT_DESKTOP", "")
	ctx := context.Background()

	script("printf '/a/x.onnx\\n/b/y z.gguf\\n'\n")
	paths, err := ChooseFiles(ctx)
	if err != nil || !slices.Equal(paths, []string{"/a/x.onnx", "/b/y z.gguf"}) {
		t.Errorf("chosen %q, %v", paths, err)
	}

	script("exit 1\n") // the user pressed Cancel
	paths, err = ChooseFiles(ctx)
	if err != nil || len(paths) != 0 {
		t.Errorf("cancel gave %q, %v", paths, err)
	}

	script("echo 'Gtk-WARNING: cannot open display' >&2; exit 255\n")
	if _, err := ChooseFiles(ctx); err == nil || errors.Is(err, ErrNoDialog) {
		t.Errorf("a failing zenity gave %v, want its error", err)
	}

	script("/bin/sleep 30\n") // a grandchild holding the output pipe
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := ShowInfo(tctx, "t", "x"); err == nil {
		t.Error("a dialog killed by ctx reported success")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ctx did not stop the dialog (%v)", d)
	}

	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	if _, err := ChooseFiles(ctx); !errors.Is(err, ErrNoDialog) {
		t.Errorf("without a display: %v, want ErrNoDialog", err)
	}
	t.Setenv("DISPLAY", ":9")
	t.Setenv("PATH", t.TempDir())
	if err := ShowInfo(ctx, "t", "x"); !errors.Is(err, ErrNoDialog) {
		t.Errorf("without zenity or kdialog: %v, want ErrNoDialog", err)
	}
}
