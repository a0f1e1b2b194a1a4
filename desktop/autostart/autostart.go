// Package autostart turns "start at login" on and off: an XDG autostart
// desktop entry on Linux and other Unix desktops, a LaunchAgent on macOS,
// and the HKCU Run value on Windows.
//
// Every backend writes the same command: the absolute path of the running
// binary followed by Args (by default --no-browser, so a login start sits
// quietly in the tray).
package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/modelpeek/modelpeek/desktop/internal/winreg"
)

// AppID is the reverse-DNS identifier used for file and value names.
const AppID = "io.github.modelpeek.modelpeek"

// DefaultArgs are appended to the executable in the login command.
var DefaultArgs = []string{"--no-browser"}

// Status is what Status reports.
type Status struct {
	// Enabled is true when the app will start at login.
	Enabled bool
	// Where is the file or registry value that holds the setting.
	Where string
	// Detail explains a disabled-but-present entry ("disabled in Task
	// Manager", "Hidden=true"), or is empty.
	Detail string
}

// Config locates the backend's storage and the command it registers. The
// zero value means: the current user's real locations and os.Executable().
type Config struct {
	// Executable is the absolute path of the binary to start.
	Executable string
	// Args follow the executable; nil means DefaultArgs.
	Args []string
	// Home overrides the home directory (macOS LaunchAgents, tests).
	Home string
	// ConfigHome overrides $XDG_CONFIG_HOME (Linux, tests).
	ConfigHome string
	// Registry overrides the Windows registry (tests on any OS).
	Registry winreg.Registry
}

// ErrUnsupported is returned where no backend exists for the OS.
var ErrUnsupported = errors.New("start at login is not supported on this system")

func (c Config) command() (exe string, args []string, err error) {
	exe = c.Executable
	if exe == "" {
		exe, err = os.Executable()
		if err != nil {
			return "", nil, fmt.Errorf("find the modelpeek binary: %w", err)
		}
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
	}
	if !filepath.IsAbs(exe) && !isWindowsAbs(exe) {
		return "", nil, fmt.Errorf("executable %q is not an absolute path", exe)
	}
	args = c.Args
	if args == nil {
		args = DefaultArgs
	}
	return exe, args, nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so a crash never leaves a half-written entry.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// isWindowsAbs reports a drive-letter absolute path ("C:\\x"), so the
// Windows backend can be exercised from tests on any OS.
func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}
