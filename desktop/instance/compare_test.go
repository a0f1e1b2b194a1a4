//go:build linux

package instance

import (
	"errors"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
)

// --compare travels with the two files, over the bus and the socket,
// alone or with --no-browser.
func TestCompareForwarded(t *testing.T) {
	for name, opts := range map[string]Options{
		"socket": {BusAddress: "none", Dir: t.TempDir()},
		"dbus":   {BusAddress: dbustest.StartBus(t), Dir: t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder()
			p, err := Acquire(opts, Request{}, rec.handle, nil)
			if err != nil || p.Via != name {
				t.Fatalf("first Acquire = %+v, %v", p, err)
			}
			defer p.Close()
			for _, want := range []Request{
				{Paths: []string{"/m/a.onnx", "/m/b.onnx"}, Compare: true},
				{Paths: []string{"/m/a.onnx", "/m/b.onnx"}, Compare: true, NoBrowser: true},
				{Paths: []string{"/m/a.onnx", "/m/b.onnx"}},
			} {
				if _, err := Acquire(opts, want, nil, nil); !errors.Is(err, ErrForwarded) {
					t.Fatalf("second Acquire = %v", err)
				}
				got := rec.wait(t)
				if got.Compare != want.Compare || got.NoBrowser != want.NoBrowser || len(got.Paths) != 2 || got.Paths[1] != "/m/b.onnx" {
					t.Errorf("sent %+v, primary got %+v", want, got)
				}
			}
		})
	}
}
