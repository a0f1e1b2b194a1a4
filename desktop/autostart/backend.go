package autostart

import "runtime"

// Backend turns start-at-login on and off. All methods are idempotent.
type Backend interface {
	Enable() error
	Disable() error
	Status() (Status, error)
}

// For returns the backend for the running OS.
func For(c Config) Backend { return forOS(runtime.GOOS, c) }

func forOS(goos string, c Config) Backend {
	switch goos {
	case "darwin":
		return LaunchAgent{c}
	case "windows":
		return WindowsRun{c}
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "illumos", "solaris":
		return XDG{c}
	}
	return unsupported{}
}

type unsupported struct{}

func (unsupported) Enable() error           { return ErrUnsupported }
func (unsupported) Disable() error          { return ErrUnsupported }
func (unsupported) Status() (Status, error) { return Status{}, ErrUnsupported }
