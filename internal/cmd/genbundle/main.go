// Command genbundle writes the viewer's bundle, assets/web/bundle.js, from
// the modules in assets/web/js (see package webbundle). Run it through
// go generate in package assets:
//
//	go generate ./assets
package main

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/modelpeek/modelpeek/internal/webbundle"
)

func main() {
	web := flag.String("web", "web", "the web directory (index.html, js/)")
	flag.Parse()
	b, err := webbundle.Build(*web)
	if err != nil {
		slog.Error("genbundle", "err", err)
		os.Exit(1)
	}
	out := filepath.Join(*web, webbundle.Output)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		slog.Error("genbundle", "err", err)
		os.Exit(1)
	}
	slog.Info("genbundle: wrote the viewer's bundle", "path", out, "bytes", len(b))
}
