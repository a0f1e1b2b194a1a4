// Package assets embeds the web UI modelpeek serves (web/). The tray's
// state icons live in package tray, the application icon in packaging.
//
// The page loads one script, web/bundle.js, made from the modules in
// web/js by go generate (TestBundleFresh fails when it is stale).
package assets

//go:generate go run ../internal/cmd/genbundle -web web

import (
	"embed"
	"io/fs"
)

//go:embed all:web
var web embed.FS

// Web is the web UI, rooted at the web/ directory (index.html at "index.html").
var Web fs.FS = mustSub(web, "web")

// SampleName is the file name, inside Web, of the bundled sample model
// shown when modelpeek starts without a file (optional).
const SampleName = "sample.onnx"

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is a constant that go:embed has checked
	}
	return sub
}
