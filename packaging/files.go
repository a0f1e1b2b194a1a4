// Package packaging holds what the release packages install — the desktop
// entry, the MIME types and the icons — embedded, so `modelpeek integrate`
// can install the same files for one user without a package manager.
package packaging

import (
	"embed"
	"strings"
)

// Files holds linux/<id>.desktop, linux/<id>-mime.xml and icons/*.png.
//
//go:embed linux/io.github.modelpeek.modelpeek.desktop linux/io.github.modelpeek.modelpeek-mime.xml icons/*.png
var Files embed.FS

// AppID is the reverse-DNS application id used for file names.
const AppID = "io.github.modelpeek.modelpeek"

// DesktopExtensions returns the file extensions modelpeek registers with the
// desktop as their handler, from every extension the format registry knows
// (model.Registry.Extensions): all of them but those that name many kinds
// of files besides models (.json, .xml, .bin, .pb, ...) and directory
// models (.mlpackage), which modelpeek still opens but must not claim. A new decoder thus registers its
// extensions once, in its model.Format.
func DesktopExtensions(registry []string) []string {
	var out []string
	for _, ext := range registry {
		if !sharedExtension(ext) {
			out = append(out, ext)
		}
	}
	return out
}

// sharedExtension reports whether ext names files of many kinds (data,
// configuration, documents), not only models.
func sharedExtension(ext string) bool {
	switch ext {
	case ".json", ".xml", ".bin", ".pb", ".pbtxt", ".txt", ".cfg", ".param", ".data", ".index", ".zip", ".meta", ".prototxt",
		".pkl", ".pickle":
		return true
	case ".mlpackage", ".mlmodelc":
		// Directories: the desktop opens them as folders, not files.
		return true
	case ".mlirbc":
		// Recognised only to say it cannot be read yet.
		return true
	}
	return strings.HasSuffix(ext, ".json") && ext != ".safetensors.index.json"
}
