//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package tray_test

// childMain: the D-Bus end-to-end tests run only where the tray speaks
// D-Bus.
func childMain() int { return 1 }
