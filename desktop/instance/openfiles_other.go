//go:build !(darwin && cgo)

package instance

// InstallOpenFileHandler does nothing here: on Linux and Windows opened
// and dropped files arrive as command-line arguments (and reach a running
// instance through Acquire).
func InstallOpenFileHandler(h func(paths []string)) error { return nil }
