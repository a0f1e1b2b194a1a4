// Package version holds the build's version string, stamped by the linker:
//
//	go build -ldflags "-X github.com/modelpeek/modelpeek/internal/version.Version=1.2.3"
package version

import "runtime/debug"

// Version is set at link time; "" means an unstamped build.
var Version string

// String returns the stamped version, else the module version recorded by
// the Go toolchain, else "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
