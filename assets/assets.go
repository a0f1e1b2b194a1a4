// Package assets embeds the files modelpeek ships inside its binary: the
// web UI (web/) and the application and tray icons (icons/).
package assets

import (
	"embed"
	"io/fs"
)

//go:embed all:web
var web embed.FS

//go:embed icons/*.png icons/*.ico
var icons embed.FS

// Web is the web UI, rooted at the web/ directory (index.html at "index.html").
var Web fs.FS = mustSub(web, "web")

// Icons holds the icons, rooted at icons/: icon-N.png (application icon,
// N = 16..512), tray-stopped-N.png (grey, viewer stopped),
// tray-template-N.png (black template for the macOS menu bar) and
// modelpeek.ico (Windows).
var Icons fs.FS = mustSub(icons, "icons")

// SampleName is the file name, inside Web, of the bundled sample model
// shown when modelpeek starts without a file (optional).
const SampleName = "sample.onnx"

// Icon returns the bytes of one icon file, e.g. Icon("icon-32.png").
func Icon(name string) ([]byte, error) { return fs.ReadFile(Icons, name) }

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is a constant that go:embed has checked
	}
	return sub
}
